// Storage: one aligned block of bytes shared by a tensor and all of its views.
// `version` counts in-place writes; autograd compares it to detect a saved tensor that was modified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace wengert {

class Storage {
 public:
  explicit Storage(std::size_t bytes);  // uninitialized, 64-byte aligned
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  std::uint64_t version() const { return version_; }
  void bump_version() { ++version_; }

 private:
  void* data_;
  std::size_t bytes_;
  std::uint64_t version_ = 0;
};

}  // namespace wengert
