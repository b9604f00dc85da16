// Shared helpers of the text tests: corpus paths and The Time Machine (support/support.hpp has
// the scratch folder).
#pragma once

#include <filesystem>
#include <string>
#include <wengert/text/corpus.hpp>

#include "support/support.hpp"

namespace wengert::testing {

inline std::filesystem::path data_path(const std::string& name) {
  return source_path("data/" + name);
}

inline const std::string& time_machine() {
  static const std::string text = text::load_corpus(data_path("timemachine.txt"));
  return text;
}

}  // namespace wengert::testing
