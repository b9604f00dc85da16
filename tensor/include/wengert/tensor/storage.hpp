// Storage: one aligned block of bytes shared by a tensor and all of its views.
// `version` counts in-place writes; autograd compares it to detect a saved tensor that was
// modified.
//
// Blocks come from a caching allocator (storage.cpp): a freed block is kept in a free list of its
// size class and handed to the next tensor of that class, the way PyTorch's CUDA allocator works.
// A training step allocates the same activation and gradient sizes every time, so after the first
// step nothing reaches malloc, and, more important, the kernel does not have to fault fresh pages
// in (glibc returns large blocks to the OS on free; that alone cost 30-55 % of an RNN step).
// Builds with AddressSanitizer bypass the cache so that use-after-free is still caught.
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

// What the caching allocator holds and how often it avoided malloc.
struct AllocatorStats {
  std::size_t cached_bytes = 0;  // free blocks kept for reuse
  std::size_t live_bytes = 0;    // blocks owned by storages right now (size-class rounded)
  std::uint64_t hits = 0;        // allocations served from the cache
  std::uint64_t misses = 0;      // allocations that went to the system allocator
};
AllocatorStats allocator_stats();

// Gives every cached free block back to the system allocator.
void release_cached_memory();

// Turns caching on or off (on by default, off under AddressSanitizer). Turning it off also
// releases the cache. Useful with external memory checkers such as valgrind.
void set_allocator_caching(bool enabled);

}  // namespace wengert
