// JSON reads for the run folder.
#include "files.hpp"

#include <fstream>
#include <sstream>
#include <wengert/tensor/error.hpp>

namespace wengert::lm::detail {

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in), path.string(), ": cannot open file");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    fail(path.string(), ": invalid JSON: ", e.what());
  }
}

}  // namespace wengert::lm::detail
