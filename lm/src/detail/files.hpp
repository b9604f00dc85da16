// Reading a JSON file of the run folder with errors that name it. (Writes go through
// wengert::write_file_atomic, tensor/atomic_file.hpp.)
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>
#include <wengert/nn/checkpoint.hpp>

namespace wengert::lm::detail {

nlohmann::json read_json(const std::filesystem::path& path);
std::string read_bytes(const std::filesystem::path& path);

bool all_finite(const Tensor& t);  // no NaN, no +-Inf
// Throws "<file>: tensor '<name>' holds NaN or Inf ..." for the first non-finite tensor: a
// diverged model or state is refused on load.
void check_finite(const std::filesystem::path& file, const nn::NamedTensors& tensors);

}  // namespace wengert::lm::detail
