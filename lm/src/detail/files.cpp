// JSON reads for the run folder.
#include "files.hpp"

#include <cmath>
#include <fstream>
#include <sstream>
#include <wengert/tensor/error.hpp>
#include <wengert/tensor/json_depth.hpp>

namespace wengert::lm::detail {

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in), path.string(), ": cannot open file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json read_json(const std::filesystem::path& path) {
  const std::string text = read_bytes(path);
  try {
    return nlohmann::json::parse(text, depth_limited<nlohmann::json>());
  } catch (const nlohmann::json::exception& e) {
    fail(path.string(), ": invalid JSON: ", e.what());
  } catch (const Error& e) {
    fail(path.string(), ": invalid JSON: ", e.what());
  }
}

}  // namespace wengert::lm::detail

namespace wengert::lm::detail {

bool all_finite(const Tensor& t) {
  for (double x : t.to_vector<double>())
    if (!std::isfinite(x)) return false;
  return true;
}

void check_finite(const std::filesystem::path& file, const nn::NamedTensors& tensors) {
  for (const auto& [name, value] : tensors) {
    check(!is_floating(value.dtype()) || all_finite(value), file.string(), ": tensor '", name,
          "' holds NaN or Inf values (a diverged run?); refusing to load it");
  }
}

}  // namespace wengert::lm::detail
