// The caching allocator behind Storage: freed blocks are reused by the next tensor of the same
// size class, data stays 64-byte aligned, and the cache can be emptied or switched off.
#include <catch2/catch.hpp>
#include <cstdint>
#include <wengert/tensor/reduce.hpp>
#include <wengert/tensor/tensor.hpp>

using namespace wengert;

namespace {
bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }
// AddressSanitizer builds bypass the cache (so that use-after-free is still caught).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCaching = false;
#else
constexpr bool kCaching = true;
#endif
}  // namespace

TEST_CASE("storage: a freed block is reused by the next tensor of its size class") {
  if (!kCaching) return;
  release_cached_memory();
  const void* first = nullptr;
  {
    Tensor a = Tensor::empty({1000, 37}, DType::f32);
    first = a.data<float>();
    CHECK(aligned64(first));
  }
  CHECK(allocator_stats().cached_bytes >= 1000 * 37 * 4);
  const auto hits = allocator_stats().hits;
  // 4 bytes more rounds up to the same size class (classes are 1/4 of a power of two apart).
  Tensor b = Tensor::empty({1000 * 37 + 1}, DType::f32);
  CHECK(b.data<float>() == first);
  CHECK(allocator_stats().hits == hits + 1);
  // The cache never hands one block to two live tensors.
  Tensor c = Tensor::empty({1000 * 37}, DType::f32);
  CHECK(c.data<float>() != b.data<float>());
}

TEST_CASE("storage: live bytes follow tensors; release and disabling empty the cache") {
  release_cached_memory();
  const auto live0 = allocator_stats().live_bytes;
  {
    Tensor a = zeros({256, 256}, DType::f64);
    CHECK(allocator_stats().live_bytes >= live0 + 256 * 256 * 8);
    CHECK(aligned64(a.data<double>()));
  }
  CHECK(allocator_stats().live_bytes == live0);
  release_cached_memory();
  CHECK(allocator_stats().cached_bytes == 0);

  set_allocator_caching(false);
  const auto misses = allocator_stats().misses;
  { Tensor a = ones({64, 64}, DType::f32); }
  { Tensor b = ones({64, 64}, DType::f32); }
  CHECK(allocator_stats().misses == misses + 2);
  CHECK(allocator_stats().cached_bytes == 0);
  set_allocator_caching(kCaching);
}

TEST_CASE("storage: a reused block carries no stale version or values into a new tensor") {
  Tensor a = full({300}, 7.0, DType::f32);
  a.add_(full({300}, 1.0, DType::f32));
  a = Tensor();
  // The version counter belongs to the Storage object, which is new even when its block is not.
  CHECK(Tensor::empty({300}, DType::f32).storage()->version() == 0);
  Tensor b = zeros({300}, DType::f32);
  CHECK(sum(b).item() == 0.0);
}
