// Aligned allocation for tensor storage (64 bytes: one cache line, one AVX-512 register).
#include "wengert/tensor/storage.hpp"

#include <cstdlib>
#include <new>

namespace wengert {

namespace {
constexpr std::size_t kAlignment = 64;
}

Storage::Storage(std::size_t bytes) : bytes_(bytes) {
  // aligned_alloc needs a size that is a multiple of the alignment, and at least one byte.
  const std::size_t rounded = ((bytes + kAlignment - 1) / kAlignment) * kAlignment;
  data_ = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (!data_) throw std::bad_alloc();
}

Storage::~Storage() { std::free(data_); }

}  // namespace wengert
