// What every test executable shares (the wengert_test_support target): a scratch folder removed
// at scope exit, reading a file back, and paths inside the source tree. Each layer's own helpers
// (tests/<layer>/*.hpp) live in the same namespace, wengert::testing.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

namespace wengert::testing {

// A fresh folder under the system temp directory, named after the process, a counter and
// `name` (so parallel test processes and repeated uses never meet), removed when the object dies.
struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(const std::string& name) {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() / ("wengert-test-" + std::to_string(::getpid()) +
                                                     "-" + std::to_string(counter++) + "-" + name);
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// The whole content of a file, byte for byte ("" when it cannot be opened).
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A path inside the source tree, e.g. source_path("data/timemachine.txt").
inline std::filesystem::path source_path(const std::string& relative) {
  return std::filesystem::path(WENGERT_SOURCE_DIR) / relative;
}

}  // namespace wengert::testing
