// The step GEMM of the fused recurrent layer: C[M, N] = A[M, K] @ Bp (+ C), where Bp is the
// recurrent weight packed once per sequence into panels of NR = 2 SIMD registers of columns
// (pack_panels in fused_recurrent.cpp). At each time step M is the batch (32 in the benchmarks),
// so the problem is too thin for a general packed GEMM to amortise packing the weight every step;
// here the weight is packed once and A (the hidden state, a few KB) is read in place.
//
// Loops: panel by panel of N (the panel, K x NR, stays in L1/L2 while it is reused), then MR rows
// of A at a time, then the micro-kernel: an R x NR tile of C in registers, updated by K rank-1
// updates (two loads of the panel row, R broadcasts of A, 2R fused multiply-adds).
// Only the per-architecture files fused_kernels_<arch>.cpp include this header.
#pragma once

#include <algorithm>
#include <cstdint>
#include <xsimd/xsimd.hpp>

namespace wengert::nn::fused {

// Rows of the register tile: 2 * MR accumulators plus 2 panel registers must fit the register
// file (32 zmm for AVX-512, 16 for AVX2 / SSE2).
template <class Arch>
constexpr int step_mr() {
  if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) return 8;
  return 6;
}

template <class Arch, class T, int R>
void step_micro(std::int64_t K, const T* a, std::int64_t lda, const T* bp, std::int64_t cols,
                bool accumulate, T* c, std::int64_t ldc) {
  using B = xsimd::batch<T, Arch>;
  constexpr int W = static_cast<int>(B::size);
  constexpr int NR = 2 * W;
  B acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = B(T(0));
  for (std::int64_t k = 0; k < K; ++k) {
    const B b0 = B::load_aligned(bp + k * NR);
    const B b1 = B::load_aligned(bp + k * NR + W);
    for (int r = 0; r < R; ++r) {
      const B ar(a[r * lda + k]);
      acc0[r] = xsimd::fma(ar, b0, acc0[r]);
      acc1[r] = xsimd::fma(ar, b1, acc1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    T* cr = c + r * ldc;
    if (cols == NR) {
      if (accumulate) {
        acc0[r] += B::load_unaligned(cr);
        acc1[r] += B::load_unaligned(cr + W);
      }
      acc0[r].store_unaligned(cr);
      acc1[r].store_unaligned(cr + W);
    } else {  // the last, partial panel: through a buffer
      alignas(64) T buf[NR];
      acc0[r].store_aligned(buf);
      acc1[r].store_aligned(buf + W);
      for (std::int64_t j = 0; j < cols; ++j) cr[j] = accumulate ? cr[j] + buf[j] : buf[j];
    }
  }
}

// Runs step_micro with the compile-time row count R = rows (1 <= rows <= MR).
template <class Arch, class T, int R>
void step_micro_rows(int rows, std::int64_t K, const T* a, std::int64_t lda, const T* bp,
                     std::int64_t cols, bool accumulate, T* c, std::int64_t ldc) {
  if constexpr (R > 1) {
    if (rows < R)
      return step_micro_rows<Arch, T, R - 1>(rows, K, a, lda, bp, cols, accumulate, c, ldc);
  }
  step_micro<Arch, T, R>(K, a, lda, bp, cols, accumulate, c, ldc);
}

template <class Arch, class T>
void packed_gemm(std::int64_t M, std::int64_t N, std::int64_t K, const T* a, std::int64_t lda,
                 const T* bp, bool accumulate, T* c, std::int64_t ldc) {
  constexpr int NR = 2 * static_cast<int>(xsimd::batch<T, Arch>::size);
  constexpr int MR = step_mr<Arch>();
  for (std::int64_t j0 = 0; j0 < N; j0 += NR) {
    const T* panel = bp + j0 * K;  // panel j0 / NR starts at (j0 / NR) * K * NR
    const std::int64_t cols = std::min<std::int64_t>(NR, N - j0);
    for (std::int64_t i0 = 0; i0 < M; i0 += MR) {
      const int rows = static_cast<int>(std::min<std::int64_t>(MR, M - i0));
      step_micro_rows<Arch, T, MR>(rows, K, a + i0 * lda, lda, panel, cols, accumulate,
                                   c + i0 * ldc + j0, ldc);
    }
  }
}

}  // namespace wengert::nn::fused
