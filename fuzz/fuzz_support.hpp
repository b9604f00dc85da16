// What every fuzz target shares: the loaders take paths, so an input is written to a file in a
// scratch folder of this process; a loader may refuse bad input only with wengert::Error (any
// other exception escapes LLVMFuzzerTestOneInput and libFuzzer reports it, as it does a crash,
// a leak or a sanitizer report); a broken promise (a round trip that does not round-trip) aborts
// with a message.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <wengert/tensor/error.hpp>

namespace wengert::fuzz {

// A folder of this process under the system temp folder, created on first use and removed at
// exit (an input that crashes leaves it behind, with the input in it).
inline const std::filesystem::path& scratch_dir() {
  struct Scratch {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("wengert-fuzz-" + std::to_string(::getpid()));
    Scratch() { std::filesystem::create_directories(path); }
    ~Scratch() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Scratch scratch;
  return scratch.path;
}

// Writes `bytes` to scratch_dir() / name (replacing it) and returns the path.
inline std::filesystem::path write_input(const std::filesystem::path& name,
                                         std::string_view bytes) {
  const std::filesystem::path path = scratch_dir() / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `f`; wengert::Error is how a loader refuses bad input, so it is swallowed (returns
// false); every other exception escapes. Returns true when `f` returned normally.
template <class F>
bool accepted(F&& f) {
  try {
    f();
    return true;
  } catch (const Error&) {
    return false;
  }
}

// A promise of the library that the input broke: report and abort (libFuzzer saves the input).
inline void promise(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz: broken promise: %s\n", what);
  std::abort();
}

}  // namespace wengert::fuzz
