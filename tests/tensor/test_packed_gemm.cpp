// Tests for the pack-once GEMM (wengert/tensor/packed_gemm.hpp): packed_matmul_into against a
// naive triple loop written here, in f32 and f64, at awkward sizes (1, primes, register tile
// +-1), with a transposed W, strided rows of a and out (views inside wider tensors), with and
// without accumulation, re-used packing buffers, and the errors that name the shapes.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "wengert/tensor.hpp"
#include "wengert/tensor/packed_gemm.hpp"

namespace {

using namespace wengert;

// Uniform values in [-1, 1) of the given shape and dtype (a fixed seed per call site).
Tensor random_tensor(const Shape& shape, DType dt, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Tensor t = Tensor::empty(shape, dt);
  std::vector<double> v(static_cast<std::size_t>(t.numel()));
  for (auto& e : v) e = u(gen);
  return from_vector(v, shape).to(dt);
}

// out0 (+)= a @ w by the textbook loop in double, reading every operand through at().
std::vector<double> naive(const Tensor& out0, const Tensor& a, const Tensor& w, bool accumulate) {
  const std::int64_t M = a.size(0), K = a.size(1), N = w.size(1);
  std::vector<double> c(static_cast<std::size_t>(M * N));
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < N; ++j) {
      double dot = accumulate ? out0.at({i, j}) : 0.0;
      for (std::int64_t k = 0; k < K; ++k) dot += a.at({i, k}) * w.at({k, j});
      c[static_cast<std::size_t>(i * N + j)] = dot;
    }
  return c;
}

// a_pitch > 0: a is the leading K columns of an [M, a_pitch] tensor instead (strided_rows then
// only widens out).
void check_case(DType dt, std::int64_t M, std::int64_t K, std::int64_t N, bool transposed_w,
                bool strided_rows, bool accumulate, std::int64_t a_pitch = 0) {
  CAPTURE(dtype_name(dt), M, K, N, transposed_w, strided_rows, accumulate, a_pitch);
  const std::uint32_t seed = static_cast<std::uint32_t>(M * 10007 + K * 101 + N);
  // W [K, N]: either contiguous or the transpose of a contiguous [N, K].
  const Tensor w =
      transposed_w ? random_tensor({N, K}, dt, seed).t() : random_tensor({K, N}, dt, seed);
  // a [M, K] and out [M, N]: contiguous, or the leading columns of wider tensors (row stride >
  // row length, as for one thread's slice of a [T, B, X] tensor at one step).
  const Tensor a = a_pitch > 0    ? random_tensor({M, a_pitch}, dt, seed + 1).narrow(1, 0, K)
                   : strided_rows ? random_tensor({M, K + 3}, dt, seed + 1).narrow(1, 1, K)
                                  : random_tensor({M, K}, dt, seed + 1);
  const Tensor out_full = random_tensor({M, N + (strided_rows ? 5 : 0)}, dt, seed + 2);
  const Tensor out = out_full.narrow(1, 0, N);
  const std::vector<double> expected = naive(out, a, w, accumulate);
  const Tensor untouched = strided_rows ? out_full.narrow(1, N, 5).clone() : Tensor();
  const Tensor a_before = a.clone();

  packed_matmul_into(out, a, PackedMatrix(w), accumulate);

  const double tol = dt == DType::f32 ? 1e-5 : 1e-13;
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < N; ++j) {
      const double e = expected[static_cast<std::size_t>(i * N + j)];
      REQUIRE(std::abs(out.at({i, j}) - e) <= tol * (1.0 + double(K)));
    }
  if (strided_rows)  // the columns past N are not written
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < 5; ++j) REQUIRE(out_full.at({i, N + j}) == untouched.at({i, j}));
  REQUIRE(equal(a, a_before));  // a is read, never written
}

}  // namespace

TEST_CASE("packed_matmul_into: awkward sizes and layouts vs a naive loop", "[packed_gemm]") {
  for (DType dt : {DType::f32, DType::f64})
    for (std::int64_t M : {1, 5, 12, 13, 32})
      for (std::int64_t K : {1, 7, 64})
        for (std::int64_t N : {1, 15, 16, 17, 33, 100})
          for (bool transposed_w : {false, true})
            for (bool accumulate : {false, true}) {
              check_case(dt, M, K, N, transposed_w, /*strided_rows=*/false, accumulate);
              check_case(dt, M, K, N, transposed_w, /*strided_rows=*/true, accumulate);
            }
}

TEST_CASE("packed_matmul_into: rows of a 4 KiB apart (copied first) vs a naive loop",
          "[packed_gemm]") {
  // Row pitches that are multiples of 4 KiB, which the kernel copies to longer rows when a tile
  // reads more rows than an L1 set has ways: a contiguous [M, 1024] f32 and [M, 512] f64, and the
  // leading 100 columns of an [M, 2048] f32 (rows shorter than their pitch). M from 2 to 25 takes
  // both sides of the threshold and, in turn, a smaller and a larger thread buffer.
  struct Layout {
    DType dt;
    std::int64_t pitch, K;
  };
  for (const Layout& l : {Layout{DType::f32, 1024, 1024}, Layout{DType::f64, 512, 512},
                          Layout{DType::f32, 2048, 100}})
    for (std::int64_t M : {2, 9, 25, 12, 13})
      for (bool accumulate : {false, true})
        check_case(l.dt, M, l.K, /*N=*/33, /*transposed_w=*/false, /*strided_rows=*/false,
                   accumulate, l.pitch);
}

TEST_CASE("packed_matmul_into: a reused packing buffer gives the same product", "[packed_gemm]") {
  const Tensor w1 = random_tensor({20, 40}, DType::f32, 1);
  const Tensor w2 = random_tensor({9, 11}, DType::f32, 2);
  const Tensor a = random_tensor({6, 9}, DType::f32, 3);
  const PackedMatrix first(w1);
  const PackedMatrix again(w2, first.panels());  // large enough: packed into the same storage
  CHECK(again.panels().shares_storage_with(first.panels()));
  const Tensor out = zeros({6, 11});
  packed_matmul_into(out, a, again);
  const std::vector<double> expected = naive(out, a, w2, false);
  for (std::int64_t i = 0; i < 6; ++i)
    for (std::int64_t j = 0; j < 11; ++j)
      REQUIRE(std::abs(out.at({i, j}) - expected[static_cast<std::size_t>(i * 11 + j)]) < 1e-5);
  // Too small or of another dtype: a fresh buffer.
  CHECK_FALSE(PackedMatrix(w1, again.panels().narrow(0, 0, 8))
                  .panels()
                  .shares_storage_with(first.panels()));
  CHECK_FALSE(
      PackedMatrix(w1.to(DType::f64), first.panels()).panels().shares_storage_with(first.panels()));
}

TEST_CASE("packed_matmul_into: errors name the shapes", "[packed_gemm]") {
  const PackedMatrix w(zeros({4, 6}));
  CHECK(w.rows() == 4);
  CHECK(w.cols() == 6);
  CHECK_THROWS_WITH(packed_matmul_into(zeros({3, 6}), zeros({3, 5}), w),
                    Catch::Contains("packed_matmul_into") && Catch::Contains("[3, 5]"));
  CHECK_THROWS_WITH(packed_matmul_into(zeros({2, 6}), zeros({3, 4}), w),
                    Catch::Contains("does not fit"));
  CHECK_THROWS_WITH(packed_matmul_into(zeros({6, 3}).t(), zeros({3, 4}), w),
                    Catch::Contains("contiguous"));
  CHECK_THROWS_WITH(packed_matmul_into(zeros({3, 6}, DType::f64), zeros({3, 4}, DType::f64), w),
                    Catch::Contains("dtypes"));
  CHECK_THROWS_WITH(PackedMatrix(zeros({4}, DType::f32)), Catch::Contains("2-d"));
  CHECK_THROWS_WITH(PackedMatrix(zeros({2, 2}, DType::i64)), Catch::Contains("f32 or f64"));
  CHECK_THROWS_WITH(packed_matmul_into(zeros({3, 6}), zeros({3, 4}), PackedMatrix()),
                    Catch::Contains("empty"));
}
