// Small file helpers of the lm layer: atomic text writes (temp file, fsync, rename) and reading a
// JSON file with errors that name it.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

namespace wengert::lm::detail {

void write_text_atomic(const std::filesystem::path& path, std::string_view text);
nlohmann::json read_json(const std::filesystem::path& path);

}  // namespace wengert::lm::detail
