// Bodies of the elementwise kernels: a loop over full xsimd batches, then the tail run through the
// same batch code on a zero-padded buffer, so every element gets bit-identical math wherever it
// sits in the array. Only the per-architecture elementwise_<arch>.cpp files include this.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "elementwise_kernels.hpp"

namespace wengert::kernels {

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
// stand-in in [lo, hi]; the caller restores NaN, and the edge fix below recomputes what lies
// outside [lo, hi]. f32 converts with one instruction (cvttps2dq), so it keeps the plain path.
template <class T, class A>
xsimd::batch<T, A> in_cast_range(const xsimd::batch<T, A>& x, T lo, T hi) {
  using B = xsimd::batch<T, A>;
  if constexpr (sizeof(T) == 4) return x;
  return xsimd::select(xsimd::isnan(x), B(T(0)), xsimd::clip(x, B(lo), B(hi)));
}

template <class T, class A>
xsimd::batch<T, A> apply_unary(UnaryOp op, const xsimd::batch<T, A>& x) {
  using B = xsimd::batch<T, A>;
  constexpr T exp_lo = EdgeRange<T>::exp_lo, exp_hi = EdgeRange<T>::exp_hi;
  const auto keep_nan = [&](const B& y) {
    if constexpr (sizeof(T) == 4) return y;
    return xsimd::select(xsimd::isnan(x), x, y);
  };
  switch (op) {
    case UnaryOp::neg:
      return -x;
    case UnaryOp::abs:
      return xsimd::abs(x);
    case UnaryOp::exp:
      return keep_nan(xsimd::exp(in_cast_range(x, exp_lo, exp_hi)));
    case UnaryOp::log:
      return xsimd::log(x);
    case UnaryOp::sqrt:
      return xsimd::sqrt(x);
    // tanh(+-20) is +-1 to within 1e-17, so clamping there changes no f64 result.
    case UnaryOp::tanh:
      return keep_nan(xsimd::tanh(in_cast_range(x, T(-20), T(20))));
    // sigmoid(x) = 1 / (1 + e^-x): e^-x overflows to inf for x << 0, giving exactly 0.
    case UnaryOp::sigmoid:
      return keep_nan(B(T(1)) / (B(T(1)) + xsimd::exp(in_cast_range(B(-x), exp_lo, exp_hi))));
    // relu keeps NaN (x < 0 is false for NaN), like PyTorch.
    case UnaryOp::relu:
      return xsimd::select(x < B(T(0)), B(T(0)), x);
  }
  return x;
}

template <class T, class A>
xsimd::batch<T, A> apply_binary(BinaryOp op, const xsimd::batch<T, A>& a,
                                const xsimd::batch<T, A>& b) {
  switch (op) {
    case BinaryOp::add:
      return a + b;
    case BinaryOp::sub:
      return a - b;
    case BinaryOp::mul:
      return a * b;
    case BinaryOp::div:
      return a / b;
    // maximum / minimum propagate NaN like PyTorch (a + b is NaN when either is).
    case BinaryOp::maximum:
      return xsimd::select(xsimd::isnan(a) || xsimd::isnan(b), a + b, xsimd::max(a, b));
    case BinaryOp::minimum:
      return xsimd::select(xsimd::isnan(a) || xsimd::isnan(b), a + b, xsimd::min(a, b));
    case BinaryOp::pow:
      return xsimd::pow(a, b);
  }
  return a;
}

template <class T, class A>
bool needs_edge_fix(UnaryOp op, const xsimd::batch<T, A>& x) {
  using B = xsimd::batch<T, A>;
  switch (op) {
    case UnaryOp::exp:
      return xsimd::any(x < B(EdgeRange<T>::exp_lo) || x > B(EdgeRange<T>::exp_hi));
    case UnaryOp::sigmoid:
      return xsimd::any(x < B(EdgeRange<T>::exp_lo));
    case UnaryOp::log:
      return xsimd::any(x < B(std::numeric_limits<T>::min()) && x > B(T(0)));
    default:
      return false;
  }
}

template <class T>
T edge_value(UnaryOp op, T x, T fast) {
  switch (op) {
    case UnaryOp::exp:
      return x < EdgeRange<T>::exp_lo || x > EdgeRange<T>::exp_hi ? std::exp(x) : fast;
    case UnaryOp::sigmoid: {
      if (!(x < EdgeRange<T>::exp_lo)) return fast;
      const T e = std::exp(x);  // sigmoid(x) = e^x / (1 + e^x) for very negative x
      return e / (T(1) + e);
    }
    case UnaryOp::log:
      return x > T(0) && x < std::numeric_limits<T>::min() ? std::log(x) : fast;
    default:
      return fast;
  }
}

template <class T, class A>
void unary_batch(UnaryOp op, const T* x, T* y) {
  using B = xsimd::batch<T, A>;
  const B v = B::load_aligned(x);
  apply_unary(op, v).store_aligned(y);
  if (needs_edge_fix(op, v))
    for (std::size_t k = 0; k < B::size; ++k) y[k] = edge_value(op, x[k], y[k]);
}

template <class Arch, class T>
void UnaryKernel::operator()(Arch, UnaryOp op, const T* x, T* y, std::int64_t n) const {
  using B = xsimd::batch<T, Arch>;
  constexpr std::int64_t width = B::size;
  std::int64_t i = 0;
  for (; i + width <= n; i += width) {
    const B v = B::load_unaligned(x + i);
    apply_unary(op, v).store_unaligned(y + i);
    if (needs_edge_fix(op, v)) [[unlikely]]
      for (std::int64_t k = 0; k < width; ++k) y[i + k] = edge_value(op, x[i + k], y[i + k]);
  }
  if (i < n) {
    alignas(64) T buffer[width] = {};
    alignas(64) T result[width];
    std::copy(x + i, x + n, buffer);
    unary_batch<T, Arch>(op, buffer, result);
    std::copy(result, result + (n - i), y + i);
  }
}

template <class Arch, class T>
void BinaryKernel::operator()(Arch, BinaryOp op, const T* a, bool a_scalar, const T* b,
                              bool b_scalar, T* y, std::int64_t n) const {
  using B = xsimd::batch<T, Arch>;
  constexpr std::int64_t width = B::size;
  const B a_fixed(a[0]), b_fixed(b[0]);
  auto load = [&](const T* p, bool is_scalar, const B& fixed, std::int64_t at) {
    return is_scalar ? fixed : B::load_unaligned(p + at);
  };
  std::int64_t i = 0;
  for (; i + width <= n; i += width)
    apply_binary(op, load(a, a_scalar, a_fixed, i), load(b, b_scalar, b_fixed, i))
        .store_unaligned(y + i);
  if (i < n) {
    alignas(64) T buffer_a[width] = {}, buffer_b[width] = {};
    if (!a_scalar) std::copy(a + i, a + n, buffer_a);
    if (!b_scalar) std::copy(b + i, b + n, buffer_b);
    const B va = a_scalar ? a_fixed : B::load_aligned(buffer_a);
    const B vb = b_scalar ? b_fixed : B::load_aligned(buffer_b);
    apply_binary(op, va, vb).store_aligned(buffer_a);
    std::copy(buffer_a, buffer_a + (n - i), y + i);
  }
}

}  // namespace wengert::kernels
