// The SIMD building blocks wengert's kernels share, for code that writes its own fused loops over
// xsimd batches (the recurrent cells of nn/src/fused do): the one list of instruction sets the
// kernels are compiled for, the edge-range-safe sigmoid and tanh of one batch, and the one
// vectorized row addition. Include it only from per-architecture files (*_avx512.cpp, *_avx2.cpp,
// *_sse2.cpp, compiled with that instruction set's flags) or for add_row; it is not part of
// <wengert/tensor.hpp> because it pulls in xsimd.
#pragma once

#include <cmath>
#include <cstdint>
#include <xsimd/xsimd.hpp>

namespace wengert::simd {

// The instruction sets wengert compiles kernels for, best first. xsimd::dispatch picks the first
// one the CPU supports at run time, so one binary runs on any x86-64 and still uses AVX-512.
// Each architecture's kernels live in their own *_avx512.cpp / *_avx2.cpp / *_sse2.cpp file,
// compiled with that instruction set's flags (see cmake/wengert_helpers.cmake).
using Archs = xsimd::arch_list<xsimd::avx512bw, xsimd::fma3<xsimd::avx2>, xsimd::sse2>;

// xsimd's exp gives inf a little before the true overflow point and 0 where the true result is
// a denormal, and its log is wrong for f64 denormals. Lanes in those edge ranges (rare in
// practice) are recomputed with the C library, so results stay within a few ulp everywhere.
template <class T>
struct EdgeRange {
  // exp is exact in xsimd inside [lo, hi]; log is exact from the smallest normal upwards.
  static constexpr T exp_lo = sizeof(T) == 4 ? T(-87) : T(-708);
  static constexpr T exp_hi = sizeof(T) == 4 ? T(88) : T(709);
};

// xsimd's f64 exp (also inside its tanh) converts round(x / ln 2) to int64 one lane at a time,
// since AVX2 has no such instruction: for NaN, inf or huge x that conversion is undefined behaviour
// (UBSan's float-cast-overflow) even though the lane's result is discarded. Such lanes get a finite
// stand-in in [lo, hi]; keep_nan restores NaN, and the edge fix of the caller recomputes what lies
// outside [lo, hi]. f32 converts with one instruction (cvttps2dq), so it keeps the plain path.
template <class T, class A>
xsimd::batch<T, A> in_cast_range(const xsimd::batch<T, A>& x, T lo, T hi) {
  using batch_simd = xsimd::batch<T, A>;
  if constexpr (sizeof(T) == 4) return x;
  return xsimd::select(xsimd::isnan(x), batch_simd(T(0)),
                       xsimd::clip(x, batch_simd(lo), batch_simd(hi)));
}
// y, with the lanes where x is NaN set back to NaN (f64 only; see in_cast_range).
template <class T, class A>
xsimd::batch<T, A> keep_nan(const xsimd::batch<T, A>& x, const xsimd::batch<T, A>& y) {
  if constexpr (sizeof(T) == 4) return y;
  return xsimd::select(xsimd::isnan(x), x, y);
}

// Everything below that computes is templated on the architecture A, so copies compiled with
// different instruction sets never share a symbol; a scalar x goes through batch<T, A>(x).
//
// tanh(x); tanh(+-20) is +-1 to within 1e-17, so clamping there changes no f64 result.
template <class T, class A>
[[gnu::always_inline]] inline xsimd::batch<T, A> tanh(const xsimd::batch<T, A>& x) {
  return keep_nan(x, xsimd::tanh(in_cast_range(x, T(-20), T(20))));
}

// Lanes of y = sigmoid(x) where x < exp_lo, recomputed as e^x / (1 + e^x) (out of line: rare).
template <class T, class A>
[[gnu::noinline]] xsimd::batch<T, A> sigmoid_edge_fix(const xsimd::batch<T, A>& x,
                                                      const xsimd::batch<T, A>& y) {
  using batch_simd = xsimd::batch<T, A>;
  alignas(64) T xs[batch_simd::size], ys[batch_simd::size];
  x.store_aligned(xs);
  y.store_aligned(ys);
  for (std::size_t k = 0; k < batch_simd::size; ++k)
    if (xs[k] < EdgeRange<T>::exp_lo) ys[k] = std::exp(xs[k]) / (T(1) + std::exp(xs[k]));
  return batch_simd::load_aligned(ys);
}

// sigmoid(x) = 1 / (1 + e^-x). For x below exp_lo, xsimd's e^-x overflows early and gives 0
// where the true value is a tiny positive number: those lanes go through sigmoid_edge_fix.
template <class T, class A>
[[gnu::always_inline]] inline xsimd::batch<T, A> sigmoid(const xsimd::batch<T, A>& x) {
  using batch_simd = xsimd::batch<T, A>;
  constexpr T lo = EdgeRange<T>::exp_lo, hi = EdgeRange<T>::exp_hi;
  const batch_simd y = keep_nan(
      x, batch_simd(T(1)) / (batch_simd(T(1)) + xsimd::exp(in_cast_range(batch_simd(-x), lo, hi))));
  if (xsimd::any(x < batch_simd(lo))) [[unlikely]]
    return sigmoid_edge_fix(x, y);
  return y;
}

// out[0, n) = x[0, n) + y[0, n) with the elementwise add kernel of this CPU (out may be x or y):
// the row kernel of loops that walk rows themselves, such as a gather plus a bias or column sums.
template <class T>
void add_row(std::int64_t n, const T* x, const T* y, T* out);
extern template void add_row<float>(std::int64_t, const float*, const float*, float*);
extern template void add_row<double>(std::int64_t, const double*, const double*, double*);

}  // namespace wengert::simd
