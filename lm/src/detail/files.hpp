// Reading a JSON file of the run folder with errors that name it. (Writes go through
// wengert::write_file_atomic, tensor/atomic_file.hpp.)
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

namespace wengert::lm::detail {

nlohmann::json read_json(const std::filesystem::path& path);

}  // namespace wengert::lm::detail
