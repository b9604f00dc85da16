// Atomic writes, JSON file parsing and checked field access shared by every save format.
#include "json_io.hpp"

#include <fstream>
#include <system_error>
#include <wengert/tensor/atomic_file.hpp>
#include <wengert/tensor/error.hpp>
#include <wengert/tensor/json_depth.hpp>
#include <wengert/text/corpus.hpp>

namespace wengert::text::detail {

namespace {

const char* type_name(json::value_t type) {
  switch (type) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    default:
      return "a value";
  }
}

bool has_type(const json& value, json::value_t type) {
  if (type == json::value_t::number_integer) return value.is_number_integer();
  return value.type() == type;
}

}  // namespace

void save_json_atomic(const std::filesystem::path& path, const json& value, std::string_view op) {
  std::string text;
  try {
    text = value.dump(1);
  } catch (const json::exception& e) {
    fail(op, ": '", path.string(), "': cannot serialize: ", e.what());
  }
  wengert::write_file_atomic(path, text, op);
}

void check_format(const json& object, std::string_view format, std::int64_t version,
                  std::string_view where) {
  const std::string found = string_field(object, "format", where);
  check(found == format, where, ": corrupt file: format is \"", found, "\", expected \"", format,
        "\"");
  const std::int64_t found_version = int_field(object, "version", where);
  check(found_version == version, where, ": unsupported ", format, " version ", found_version,
        " (this build reads version ", version, ")");
}

json read_json_file(const std::filesystem::path& path, std::string_view op) {
  const std::string bytes = read_file_bytes(path, op);
  json parsed;
  try {
    parsed = json::parse(bytes, depth_limited<json>(), /*allow_exceptions=*/false);
  } catch (const Error& e) {
    fail(op, ": '", path.string(), "': corrupt file (", e.what(), ")");
  }
  check(!parsed.is_discarded(), op, ": '", path.string(), "': corrupt file (not valid JSON)");
  check(parsed.is_object(), op, ": '", path.string(), "': corrupt file (expected a JSON object)");
  return parsed;
}

const json& field(const json& object, std::string_view key, json::value_t type,
                  std::string_view where) {
  const auto it = object.find(key);
  check(it != object.end(), where, ": corrupt file: missing field \"", key, "\"");
  check(has_type(*it, type), where, ": corrupt file: field \"", key, "\" is not ", type_name(type));
  return *it;
}

std::int64_t as_int(const json& value, std::string_view what, std::string_view where) {
  check(value.is_number_integer(), where, ": corrupt file: ", what, " is not an integer");
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    check(u <= static_cast<std::uint64_t>(INT64_MAX), where, ": corrupt file: ", what,
          " is out of range");
    return static_cast<std::int64_t>(u);
  }
  return value.get<std::int64_t>();
}

std::int64_t int_field(const json& object, std::string_view key, std::string_view where) {
  return as_int(field(object, key, json::value_t::number_integer, where),
                "field \"" + std::string(key) + "\"", where);
}

std::string string_field(const json& object, std::string_view key, std::string_view where) {
  return field(object, key, json::value_t::string, where).get<std::string>();
}

bool bool_field(const json& object, std::string_view key, std::string_view where) {
  return field(object, key, json::value_t::boolean, where).get<bool>();
}

json vocab_to_json(const Vocab& vocab) {
  return json{{"tokens", vocab.tokens()},
              {"frequencies", vocab.frequencies()},
              {"num_reserved", vocab.num_reserved()},
              {"unk_token", vocab.unk_token()}};
}

Vocab vocab_from_json(const json& object, std::string_view where) {
  const json& tokens_json = field(object, "tokens", json::value_t::array, where);
  const json& freqs_json = field(object, "frequencies", json::value_t::array, where);
  std::vector<std::string> tokens;
  tokens.reserve(tokens_json.size());
  for (const json& t : tokens_json) {
    check(t.is_string(), where, ": corrupt file: a vocabulary token is not a string");
    tokens.push_back(t.get<std::string>());
  }
  std::vector<std::int64_t> freqs;
  freqs.reserve(freqs_json.size());
  for (const json& f : freqs_json) freqs.push_back(as_int(f, "a token frequency", where));
  try {
    return Vocab(std::move(tokens), std::move(freqs), int_field(object, "num_reserved", where),
                 string_field(object, "unk_token", where));
  } catch (const Error& e) {
    fail(where, ": corrupt file: ", e.what());
  }
}

}  // namespace wengert::text::detail
