// GEMM speed: wengert::gemm against OpenBLAS (when found) on the same shapes, row-major
// C = A @ B, in GFLOP/s (2 M N K flops per call) with 1 and 2 threads. Shapes: squares, and the
// RNN / language-model ones (M = 32 batch rows against K x N weights; 64 x 512 x 2048; a tall
// 1120 x 256 @ 256 x 28 output projection; 28 x 1024 @ 1024 x 16, a decoder weight times one
// step's hidden states); and the recurrent step's pack-once product
// (BM_packed_step).
// Compare fairly: unset OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (they slow OpenBLAS down), e.g.
//   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2
//       ./wengert_bench --benchmark_filter=gemm --benchmark_repetitions=3
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "wengert/tensor/gemm.hpp"
#include "wengert/tensor/packed_gemm.hpp"
#include "wengert/tensor/random.hpp"

#if defined(WENGERT_HAVE_OPENBLAS)
#include <cblas.h>
#endif

namespace {

// Printed once in the benchmark header: which kernels are being compared.
struct GemmContext {
  GemmContext() {
    benchmark::AddCustomContext("wengert_gemm_kernel", wengert::gemm_kernel_name());
#if defined(WENGERT_HAVE_OPENBLAS)
    benchmark::AddCustomContext("openblas_config", openblas_get_config());
#endif
  }
} const gemm_context;

template <class T>
std::vector<T> random_matrix(int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<T> dist(T(-1), T(1));
  std::vector<T> m(static_cast<size_t>(rows * cols));
  for (T& x : m) x = dist(rng);
  return m;
}

// Arguments: M, N, K, threads.
template <class T, class Gemm>
void run_gemm(benchmark::State& state, Gemm gemm) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const int threads = static_cast<int>(state.range(3));
  const std::vector<T> a = random_matrix<T>(m, k, 1), b = random_matrix<T>(k, n, 2);
  std::vector<T> c(static_cast<size_t>(m * n));
  gemm(threads, m, n, k, a.data(), b.data(), c.data());  // warm-up: threads, buffers, caches
  for (auto _ : state) {
    gemm(threads, m, n, k, a.data(), b.data(), c.data());
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2e-9 * double(m) * double(n) * double(k),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

template <class T>
void BM_wengert_gemm(benchmark::State& state) {
  run_gemm<T>(state,
              [](int threads, int64_t m, int64_t n, int64_t k, const T* a, const T* b, T* c) {
                omp_set_num_threads(threads);
                wengert::gemm<T>(m, n, k, T(1), a, k, 1, b, n, 1, T(0), c, n, 1);
              });
}

#if defined(WENGERT_HAVE_OPENBLAS)
template <class T>
void BM_openblas_gemm(benchmark::State& state) {
  run_gemm<T>(state, [](int threads, int64_t m, int64_t n, int64_t k, const T* a, const T* b,
                        T* c) {
    openblas_set_num_threads(threads);
    const auto M = blasint(m), N = blasint(n), K = blasint(k);
    if constexpr (std::is_same_v<T, float>)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N);
    else
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0, a, K, b, N, 0.0, c, N);
  });
}
#endif

// Squares, then {M, N, K} of the RNN shapes; each with 1 and 2 threads.
void gemm_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "threads"});
  for (int threads : {1, 2}) {
    for (int64_t n : {64, 128, 256, 512, 1024, 2048}) b->Args({n, n, n, threads});
    for (int64_t kn : {256, 512, 1024}) b->Args({32, kn, kn, threads});
    b->Args({64, 2048, 512, threads});
    b->Args({1120, 28, 256, threads});
    // One time step of a decoder [28, 1024] applied as W @ h^T: a partial micro-panel of A (28
    // rows < MR, 4 KiB apart), and packing as long as the arithmetic.
    b->Args({28, 16, 1024, threads});
  }
  b->UseRealTime();  // wall clock: CPU time of the calling thread misses the other threads' work
}

BENCHMARK(BM_wengert_gemm<float>)->Name("sgemm/wengert")->Apply(gemm_shapes);
BENCHMARK(BM_wengert_gemm<double>)->Name("dgemm/wengert")->Apply(gemm_shapes);
// The recurrent step's product (wengert/tensor/packed_gemm.hpp): out [M, 1024] = a [M, 1024] @ W
// with W packed once, a read in place with row pitch P elements. P = 1024 is a hidden state's
// own layout (rows 4 KiB apart, the L1-aliasing case that packed_matmul_into copies first);
// P = 1040 is the same rows one cache line apart, read directly. Arguments: M, P.
void BM_packed_step(benchmark::State& state) {
  const int64_t m = state.range(0), pitch = state.range(1), kn = 1024;
  wengert::Generator gen(1);
  const wengert::PackedMatrix w(wengert::uniform({kn, kn}, -1, 1, gen));
  const wengert::Tensor a = wengert::uniform({m, pitch}, -1, 1, gen).narrow(1, 0, kn);
  const wengert::Tensor out = wengert::Tensor::empty({m, kn}, wengert::DType::f32);
  for (auto _ : state) {
    wengert::packed_matmul_into(out, a, w);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2e-9 * double(m) * double(kn) * double(kn),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_packed_step)
    ->ArgNames({"M", "P"})
    ->ArgsProduct({{8, 12, 16, 32}, {1024, 1040}})
    ->UseRealTime();

#if defined(WENGERT_HAVE_OPENBLAS)
BENCHMARK(BM_openblas_gemm<float>)->Name("sgemm/openblas")->Apply(gemm_shapes);
BENCHMARK(BM_openblas_gemm<double>)->Name("dgemm/openblas")->Apply(gemm_shapes);
#endif

}  // namespace
