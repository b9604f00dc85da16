// Shared helpers for the text tests: corpus paths, a scratch directory, small corpus slices.
#pragma once

#include <filesystem>
#include <string>
#include <wengert/text/corpus.hpp>

namespace wengert::text::testing {

inline std::filesystem::path data_path(const std::string& name) {
  return std::filesystem::path(WENGERT_SOURCE_DIR) / "data" / name;
}

// A fresh per-test directory under the system temp dir.
inline std::filesystem::path scratch_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("wengert_text_test_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline const std::string& time_machine() {
  static const std::string text = load_corpus(data_path("timemachine.txt"));
  return text;
}

}  // namespace wengert::text::testing
