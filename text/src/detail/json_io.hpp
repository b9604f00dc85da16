// Private helpers for the JSON save formats: atomic JSON writes, parsing a file with errors
// that name the operation and the path, and checked field access for corrupt files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <wengert/text/vocab.hpp>

namespace wengert::text::detail {

using nlohmann::json;

// Serializes `value` and writes it with wengert::write_file_atomic (temporary, fsync, rename);
// throws "<op>: ..." (e.g. on invalid UTF-8).
void save_json_atomic(const std::filesystem::path& path, const json& value, std::string_view op);

// Parses a JSON file; errors read "<op>: '<path>': <reason>".
json read_json_file(const std::filesystem::path& path, std::string_view op);

// Checked access; `where` is the "<op>: '<path>'" prefix of error messages.
const json& field(const json& object, std::string_view key, json::value_t type,
                  std::string_view where);
std::int64_t int_field(const json& object, std::string_view key, std::string_view where);
std::string string_field(const json& object, std::string_view key, std::string_view where);
bool bool_field(const json& object, std::string_view key, std::string_view where);
// Checks the "format" and "version" fields of a saved file.
void check_format(const json& object, std::string_view format, std::int64_t version,
                  std::string_view where);
std::int64_t as_int(const json& value, std::string_view what, std::string_view where);

json vocab_to_json(const Vocab& vocab);
Vocab vocab_from_json(const json& object, std::string_view where);

}  // namespace wengert::text::detail
