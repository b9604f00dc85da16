// wengert::gemm: the baseline-compiled driver around the packed kernels. It handles the trivial
// cases, turns a row-major C into a column-major one by transposing the whole problem, decides how
// many OpenMP threads pay off and gives each thread its own rectangle of C and its own packing
// buffers; the per-instruction-set kernel (gemm_kernel.hpp) is picked by xsimd::dispatch.
// gemm_reference, the triple loop the tests compare against, is at the bottom.
#include "wengert/tensor/gemm.hpp"

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "gemm_dispatch.hpp"
#include "thread_workspace.hpp"
#include "wengert/tensor/error.hpp"

namespace wengert {
namespace {

using detail::BlockSizes;
using detail::GemmProblem;

// C = beta * C, the whole answer when K == 0 or alpha == 0. beta == 0 writes zeros without
// reading C.
template <class T>
void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t c_rs, int64_t c_cs) {
  if (beta == T(1)) return;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      T& cij = c[i * c_rs + j * c_cs];
      cij = beta == T(0) ? T(0) : beta * cij;
    }
}

// C = A B  <=>  C^T = B^T A^T: swap the roles of A and B and of rows and columns. The kernels
// vectorise along the rows of C, so a row-major C is handled as the column-major C^T.
template <class T>
GemmProblem<T> transposed(const GemmProblem<T>& p) {
  return {p.n, p.m,    p.k,    p.alpha, p.b, p.b_cs, p.b_rs,
          p.a, p.a_cs, p.a_rs, p.beta,  p.c, p.c_cs, p.c_rs};
}

// The rectangle [i0, i1) x [j0, j1) of C as a problem of its own (same K, same A/B strides).
template <class T>
GemmProblem<T> sub_problem(const GemmProblem<T>& p, int64_t i0, int64_t i1, int64_t j0,
                           int64_t j1) {
  GemmProblem<T> s = p;
  s.m = i1 - i0;
  s.n = j1 - j0;
  s.a = p.a + i0 * p.a_rs;
  s.b = p.b + j0 * p.b_cs;
  s.c = p.c + i0 * p.c_rs + j0 * p.c_cs;
  return s;
}

// Runs one (sub-)problem on the calling thread with the kernel for Arch and this thread's buffers.
template <class T, class Arch>
void run_serial(Arch arch, const GemmProblem<T>& p) {
  T* workspace = detail::thread_workspace<T, detail::PackingBuffers>(
      detail::workspace_elements(detail::block_sizes<T, Arch>()));
  detail::GemmKernel<T>{}(arch, p, workspace);
}

// Below this much work per thread (flops = 2 M N K), waking a second thread and packing a second
// copy of the shared operand costs more than it saves. Measured with bench_gemm on 2 Zen 5 cores:
// 2 threads start to win at about 2 * 128^3 flops for square problems.
constexpr double kMinFlopsPerThread = 2.0 * 96 * 96 * 96;

// How C is cut among threads: a tm x tn grid of rectangles, each a whole number of register tiles.
struct ThreadGrid {
  int tm = 1, tn = 1;
};

// Picks the thread count and the grid. Every thread packs its own rows of A and its own columns
// of B, so the grid minimising (rows per thread + columns per thread) packs the least in total;
// for 2 threads this splits the longer side of C, e.g. N = 1024 (as M') for a 32 x 1024 C, and a
// square C by columns (ties keep the first grid tried, tm = 1).
template <class T>
ThreadGrid choose_threads(const GemmProblem<T>& p, const BlockSizes& bs) {
  ThreadGrid grid;
  if (omp_in_parallel()) return grid;  // called from someone else's parallel region: stay serial
  const double flops = 2.0 * double(p.m) * double(p.n) * double(p.k);
  const int64_t tiles_m = (p.m + bs.mr - 1) / bs.mr;
  const int64_t tiles_n = (p.n + bs.nr - 1) / bs.nr;
  const int threads = static_cast<int>(std::min<double>(
      {double(omp_get_max_threads()), flops / kMinFlopsPerThread, double(tiles_m * tiles_n)}));
  double best = 0;
  for (int t = threads; t > 1; --t) {  // largest thread count that has a valid grid
    for (int tm = 1; tm <= t; ++tm) {
      if (t % tm != 0) continue;
      const int tn = t / tm;
      if (tm > tiles_m || tn > tiles_n) continue;
      const double cost = double(p.m) / tm + double(p.n) / tn;
      if (best == 0 || cost < best) {
        best = cost;
        grid = {tm, tn};
      }
    }
    if (best != 0) break;
  }
  return grid;
}

// Bounds of part `t` of `parts` when `extent` is cut in whole tiles of size `tile`.
int64_t split_point(int64_t extent, int64_t tile, int t, int parts) {
  const int64_t tiles = (extent + tile - 1) / tile;
  return std::min(extent, tiles * t / parts * tile);
}

// The whole of gemm once the kernel's architecture is known (xsimd::dispatch supplies it).
struct GemmDriver {
  template <class Arch, class T>
  void operator()(Arch arch, GemmProblem<T> p) const {
    if (p.m == 0 || p.n == 0) return;
    if (p.k == 0 || p.alpha == T(0)) return scale_c(p.m, p.n, p.beta, p.c, p.c_rs, p.c_cs);
    if (p.c_rs != 1 && p.c_cs == 1) p = transposed(p);  // now C's rows are unit-stride if possible

    constexpr BlockSizes bs = detail::block_sizes<T, Arch>();
    const ThreadGrid grid = choose_threads(p, bs);
    if (grid.tm * grid.tn == 1) return run_serial(arch, p);

      // One rectangle of C per thread; rectangles are disjoint and K is never split, so no thread
      // waits for another and every element of C sees the same sequence of operations as in a
      // serial run (bit-identical results for any thread count).
#pragma omp parallel num_threads(grid.tm* grid.tn)
    {
      const int t = omp_get_thread_num();
      const int ti = t / grid.tn, tj = t % grid.tn;
      const int64_t i0 = split_point(p.m, bs.mr, ti, grid.tm);
      const int64_t i1 = split_point(p.m, bs.mr, ti + 1, grid.tm);
      const int64_t j0 = split_point(p.n, bs.nr, tj, grid.tn);
      const int64_t j1 = split_point(p.n, bs.nr, tj + 1, grid.tn);
      if (i1 > i0 && j1 > j0) run_serial(arch, sub_problem(p, i0, i1, j0, j1));
    }
  }
};

}  // namespace

template <class T>
void gemm(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t a_rs, int64_t a_cs,
          const T* B, int64_t b_rs, int64_t b_cs, T beta, T* C, int64_t c_rs, int64_t c_cs) {
  check(M >= 0 && N >= 0 && K >= 0, "gemm: negative size M=", M, " N=", N, " K=", K);
  const GemmProblem<T> p{M, N, K, alpha, A, a_rs, a_cs, B, b_rs, b_cs, beta, C, c_rs, c_cs};
  xsimd::dispatch<detail::GemmArchs>(GemmDriver{})(p);
}

namespace detail {

template <class T>
void gemm_with_kernel(const std::string& kernel, int64_t M, int64_t N, int64_t K, T alpha,
                      const T* A, int64_t a_rs, int64_t a_cs, const T* B, int64_t b_rs,
                      int64_t b_cs, T beta, T* C, int64_t c_rs, int64_t c_cs) {
  check(M >= 0 && N >= 0 && K >= 0, "gemm: negative size M=", M, " N=", N, " K=", K);
  const GemmProblem<T> p{M, N, K, alpha, A, a_rs, a_cs, B, b_rs, b_cs, beta, C, c_rs, c_cs};
  const auto cpu = xsimd::available_architectures();
  if (kernel == GemmConfig<xsimd::avx512bw>::name && cpu.avx512bw)
    GemmDriver{}(xsimd::avx512bw{}, p);
  else if (kernel == GemmConfig<xsimd::fma3<xsimd::avx2>>::name && cpu.fma3_avx2)
    GemmDriver{}(xsimd::fma3<xsimd::avx2>{}, p);
  else if (kernel == GemmConfig<xsimd::sse2>::name && cpu.sse2)
    GemmDriver{}(xsimd::sse2{}, p);
  else
    fail("gemm_with_kernel: kernel '", kernel, "' unknown or not supported by this CPU");
}

template void gemm_with_kernel<float>(const std::string&, int64_t, int64_t, int64_t, float,
                                      const float*, int64_t, int64_t, const float*, int64_t,
                                      int64_t, float, float*, int64_t, int64_t);
template void gemm_with_kernel<double>(const std::string&, int64_t, int64_t, int64_t, double,
                                       const double*, int64_t, int64_t, const double*, int64_t,
                                       int64_t, double, double*, int64_t, int64_t);

}  // namespace detail

template <class T>
void gemm_reference(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t a_rs,
                    int64_t a_cs, const T* B, int64_t b_rs, int64_t b_cs, T beta, T* C,
                    int64_t c_rs, int64_t c_cs) {
  check(M >= 0 && N >= 0 && K >= 0, "gemm_reference: negative size M=", M, " N=", N, " K=", K);
  using Acc = std::conditional_t<std::is_same_v<T, float>, double, long double>;
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      Acc dot = 0;  // C(i, j) = sum_k A(i, k) B(k, j), skipped (not even read) when alpha == 0
      if (alpha != T(0))
        for (int64_t k = 0; k < K; ++k)
          dot += Acc(A[i * a_rs + k * a_cs]) * Acc(B[k * b_rs + j * b_cs]);
      T& cij = C[i * c_rs + j * c_cs];
      cij = beta == T(0) ? T(Acc(alpha) * dot) : T(Acc(alpha) * dot + Acc(beta) * Acc(cij));
    }
  }
}

std::string gemm_kernel_name() {
  return xsimd::dispatch<detail::GemmArchs>(detail::GemmKernelName{})();
}

template void gemm<float>(int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t,
                          const float*, int64_t, int64_t, float, float*, int64_t, int64_t);
template void gemm<double>(int64_t, int64_t, int64_t, double, const double*, int64_t, int64_t,
                           const double*, int64_t, int64_t, double, double*, int64_t, int64_t);
template void gemm_reference<float>(int64_t, int64_t, int64_t, float, const float*, int64_t,
                                    int64_t, const float*, int64_t, int64_t, float, float*, int64_t,
                                    int64_t);
template void gemm_reference<double>(int64_t, int64_t, int64_t, double, const double*, int64_t,
                                     int64_t, const double*, int64_t, int64_t, double, double*,
                                     int64_t, int64_t);

}  // namespace wengert
