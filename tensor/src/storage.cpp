// Storage and its caching allocator (see storage.hpp for why).
//
// Size classes: sizes are rounded up to 64 bytes, and above 4 KiB to one of four steps per power
// of two (5/4, 6/4, 7/4, 8/4 of the lower power), so a block wastes at most 25 % and a request
// of a slightly different size still finds a block. One mutex guards the free lists: allocations
// are per tensor, not per element, so it is uncontended in practice.
#include "wengert/tensor/storage.hpp"

#include <unistd.h>

#include <bit>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace wengert {

namespace {

constexpr std::size_t kAlignment = 64;
// The cache never holds more than this; a block freed beyond it goes back to the system.
constexpr std::size_t kMaxCachedBytes = std::size_t{1} << 30;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCachingByDefault = false;
#else
constexpr bool kCachingByDefault = true;
#endif

std::size_t size_class(std::size_t bytes) {
  const std::size_t rounded =
      bytes == 0 ? kAlignment : (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded <= 4096) return rounded;
  const std::size_t quarter = std::bit_floor(rounded - 1) / 4;  // a quarter of the power below
  return (rounded + quarter - 1) / quarter * quarter;
}

class CachingAllocator {
 public:
  void* allocate(std::size_t cls) {
    {
      std::lock_guard lock(mutex_);
      stats_.live_bytes += cls;
      if (caching_) {
        auto it = free_.find(cls);
        if (it != free_.end() && !it->second.empty()) {
          void* block = it->second.back();
          it->second.pop_back();
          stats_.cached_bytes -= cls;
          ++stats_.hits;
          return block;
        }
      }
      ++stats_.misses;
    }
    void* block = std::aligned_alloc(kAlignment, cls);
    if (!block) {
      release();  // maybe the cache was holding what we need
      block = std::aligned_alloc(kAlignment, cls);
    }
    if (!block) {
      std::lock_guard lock(mutex_);
      stats_.live_bytes -= cls;
      throw std::bad_alloc();
    }
    return block;
  }

  void deallocate(void* block, std::size_t cls) {
    {
      std::lock_guard lock(mutex_);
      stats_.live_bytes -= cls;
      if (caching_ && stats_.cached_bytes + cls <= kMaxCachedBytes) {
        free_[cls].push_back(block);
        stats_.cached_bytes += cls;
        return;
      }
    }
    std::free(block);
  }

  void release() {
    std::unordered_map<std::size_t, std::vector<void*>> blocks;
    {
      std::lock_guard lock(mutex_);
      blocks.swap(free_);
      stats_.cached_bytes = 0;
    }
    for (auto& [cls, list] : blocks)
      for (void* block : list) std::free(block);
  }

  void set_caching(bool enabled) {
    {
      std::lock_guard lock(mutex_);
      caching_ = enabled;
    }
    if (!enabled) release();
  }

  AllocatorStats stats() {
    std::lock_guard lock(mutex_);
    return stats_;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
  AllocatorStats stats_;
  bool caching_ = kCachingByDefault;
};

// Never destroyed: tensors with static storage duration may be freed after any other static.
CachingAllocator& allocator() {
  static auto* instance = new CachingAllocator();
  return *instance;
}

}  // namespace

namespace {
// Refuses (std::bad_alloc) a block larger than the machine's RAM before asking malloc, which
// may overcommit it or, under AddressSanitizer, abort instead of returning null.
std::size_t checked_block_size(std::size_t bytes) {
  if (bytes > (std::size_t{1} << 30)) {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    if (pages > 0 && page > 0 &&
        bytes / static_cast<std::size_t>(page) >= static_cast<std::size_t>(pages))
      throw std::bad_alloc();
  }
  return size_class(bytes);
}
}  // namespace

Storage::Storage(std::size_t bytes)
    : data_(allocator().allocate(checked_block_size(bytes))), bytes_(bytes) {}

Storage::~Storage() { allocator().deallocate(data_, size_class(bytes_)); }

AllocatorStats allocator_stats() { return allocator().stats(); }
void release_cached_memory() { allocator().release(); }
void set_allocator_caching(bool enabled) { allocator().set_caching(enabled); }

}  // namespace wengert
