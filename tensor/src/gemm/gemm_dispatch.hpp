// What the baseline GEMM driver (gemm.cpp) knows about the per-instruction-set kernels: the list
// of architectures xsimd::dispatch chooses from, the block sizes of each, the problem description
// and the kernel functor, *declared* only. Its body lives in gemm_kernel.hpp, which only the
// per-architecture files gemm_avx512.cpp / gemm_avx2.cpp / gemm_sse2.cpp include: xsimd 8.1 stops
// the build if a translation unit without -mavx512f ever instantiates batch<float, avx512f>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <wengert/tensor/simd.hpp>

namespace wengert::detail {

// The architectures xsimd::dispatch chooses from: the library's one list (wengert/tensor/simd.hpp,
// best first). Of AVX-512 the kernel needs only the F subset (FMA + broadcast + load/store on zmm
// registers); the list names avx512bw, which every AVX-512 CPU since Skylake-X has.
using GemmArchs = simd::Archs;

// Register tile (mr x nr of C held in registers by the micro-kernel) and cache blocks:
//   kc: depth of one rank-kc update; the B micro-panel (kc x nr) stays in L1,
//   mc: rows of the packed A block (mc x kc), sized to sit in L2,
//   nc: columns of the packed B panel (kc x nc), sized for L3.
// mr must be a multiple of the SIMD width; mc a multiple of mr; nc a multiple of nr.
struct BlockSizes {
  int mr, nr;
  int64_t kc, mc, nc;
};

template <class Arch>
struct GemmConfig;

// Zen 5 (2 x 512-bit FMA pipes, 48 KB L1d, 1 MB L2 per core, 32 MB L3). How these were tuned:
// bench/bench_gemm.cpp, 1 thread, f32 squares 512/2048 and the M = 32 shapes, each candidate
// run round-robin against the others (the machine is shared; per-run noise is ~5 %).
// - tile: 32x12 kept over 48x8, 32x14, 64x6 (no better, worse edge waste on 1024 or 32 columns)
//   and 16x28 (~10 % slower: one A load per 28 broadcasts makes it load-bound);
// - kc x mc: 384x192, 384x256, 256x256, 256x384, 192x384, 512x96, 512x192 all within ~3 % on
//   squares; kc = 384 is a little better on M = 32 (fewer passes over C). With 384x256 the
//   B micro-panel (kc x nr, 18 KB) stays in L1, the A block (384 KB) in L2, and the B panel
//   (kc x nc, 6 MB) in L3. f64: the same tile, kc = 256 so its B micro-panel is 24 KB.
template <>
struct GemmConfig<xsimd::avx512bw> {
  static constexpr const char* name = "avx512";
  static constexpr BlockSizes f32{32, 12, 384, 256, 4092};  // 24 zmm accumulators
  static constexpr BlockSizes f64{16, 12, 256, 192, 4092};  // same tile in 8-lane registers
};

// AVX2 + FMA, 16 ymm registers: the classic 2-vector x 6 tile (12 accumulators, 2 loads of A,
// 1 broadcast of B). Not tuned: this machine dispatches to AVX-512; tests force it for coverage.
template <>
struct GemmConfig<xsimd::fma3<xsimd::avx2>> {
  static constexpr const char* name = "avx2";
  static constexpr BlockSizes f32{16, 6, 256, 144, 4092};
  static constexpr BlockSizes f64{8, 6, 256, 96, 4092};
};

// Baseline x86-64: 16 xmm registers, no FMA (xsimd::fma becomes a multiply and an add).
template <>
struct GemmConfig<xsimd::sse2> {
  static constexpr const char* name = "sse2";
  static constexpr BlockSizes f32{8, 6, 256, 128, 4092};
  static constexpr BlockSizes f64{4, 6, 256, 128, 4092};
};

template <class T, class Arch>
constexpr BlockSizes block_sizes() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  return std::is_same_v<T, float> ? GemmConfig<Arch>::f32 : GemmConfig<Arch>::f64;
}

// Elements of scratch one thread needs: the packed A block and the packed B panel, each rounded
// up to whole micro-panels (the zero padding that keeps the micro-kernel branch-free).
constexpr int64_t workspace_elements(const BlockSizes& bs) {
  const int64_t mc = (bs.mc + bs.mr - 1) / bs.mr * bs.mr;
  const int64_t nc = (bs.nc + bs.nr - 1) / bs.nr * bs.nr;
  return mc * bs.kc + bs.kc * nc;
}

// The kernel's name for gemm_kernel_name(), through the same dispatch as the kernel itself.
struct GemmKernelName {
  template <class Arch>
  const char* operator()(Arch) const {
    return GemmConfig<Arch>::name;
  }
};

// One GEMM sub-problem, strides in elements as in the public API. The driver has already
// handled the trivial cases (empty C, K == 0, alpha == 0) and, when C is row-major, transposed the
// whole problem so that C's rows are unit-stride (c_rs == 1) whenever possible.
template <class T>
struct GemmProblem {
  int64_t m, n, k;
  T alpha;
  const T* a;
  int64_t a_rs, a_cs;
  const T* b;
  int64_t b_rs, b_cs;
  T beta;
  T* c;
  int64_t c_rs, c_cs;
};

// Single-threaded packed GEMM of one sub-problem; `workspace` holds workspace_elements(bs)
// elements, 64-byte aligned, private to the calling thread.
template <class T>
struct GemmKernel {
  template <class Arch>
  void operator()(Arch, const GemmProblem<T>& p, T* workspace) const;
};

// The pack-once GEMM (wengert/tensor/packed_gemm.hpp): the rows of a packed panel (its width in
// C's columns), the packing of W [K, N] (W(k, n) = w[k * w_rs + n * w_cs]) into dst, and
// C[M, N] (+)= A[M, K] @ W from the packed W, A and C row-major with row strides lda and ldc.
template <class T>
struct PackedPanelRows {
  template <class Arch>
  int operator()(Arch) const;
};
template <class T>
struct PackWeight {
  template <class Arch>
  void operator()(Arch, int64_t k, int64_t n, const T* w, int64_t w_rs, int64_t w_cs, T* dst) const;
};
template <class T>
struct PackedMultiply {
  template <class Arch>
  void operator()(Arch, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* wp,
                  bool accumulate, T* c, int64_t ldc) const;
};

#define WENGERT_PACKED_GEMM_INSTANCES(EXTERN, ARCH, T)                                          \
  EXTERN template int PackedPanelRows<T>::operator()(ARCH) const;                               \
  EXTERN template void PackWeight<T>::operator()(ARCH, int64_t, int64_t, const T*, int64_t,     \
                                                 int64_t, T*) const;                            \
  EXTERN template void PackedMultiply<T>::operator()(ARCH, int64_t, int64_t, int64_t, const T*, \
                                                     int64_t, const T*, bool, T*, int64_t) const;
WENGERT_PACKED_GEMM_INSTANCES(extern, xsimd::avx512bw, float)
WENGERT_PACKED_GEMM_INSTANCES(extern, xsimd::avx512bw, double)
WENGERT_PACKED_GEMM_INSTANCES(extern, xsimd::fma3<xsimd::avx2>, float)
WENGERT_PACKED_GEMM_INSTANCES(extern, xsimd::fma3<xsimd::avx2>, double)
WENGERT_PACKED_GEMM_INSTANCES(extern, xsimd::sse2, float)
WENGERT_PACKED_GEMM_INSTANCES(extern, xsimd::sse2, double)

// Defined (explicitly instantiated) in gemm_avx512.cpp, gemm_avx2.cpp and gemm_sse2.cpp; these
// declarations keep every other translation unit from instantiating the SIMD code itself.
extern template void GemmKernel<float>::operator()(xsimd::avx512bw, const GemmProblem<float>&,
                                                   float*) const;
extern template void GemmKernel<double>::operator()(xsimd::avx512bw, const GemmProblem<double>&,
                                                    double*) const;
extern template void GemmKernel<float>::operator()(xsimd::fma3<xsimd::avx2>,
                                                   const GemmProblem<float>&, float*) const;
extern template void GemmKernel<double>::operator()(xsimd::fma3<xsimd::avx2>,
                                                    const GemmProblem<double>&, double*) const;
extern template void GemmKernel<float>::operator()(xsimd::sse2, const GemmProblem<float>&,
                                                   float*) const;
extern template void GemmKernel<double>::operator()(xsimd::sse2, const GemmProblem<double>&,
                                                    double*) const;

}  // namespace wengert::detail
