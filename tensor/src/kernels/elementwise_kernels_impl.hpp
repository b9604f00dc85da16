// Bodies of the elementwise kernels: a loop over full xsimd batches, then the tail run through the
// same batch code on a zero-padded buffer, so every element gets bit-identical math wherever it
// sits in the array. Only the per-architecture elementwise_<arch>.cpp files include this.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "elementwise_kernels.hpp"

namespace wengert::kernels {

using simd::EdgeRange;
using simd::in_cast_range;

template <class T, class A>
xsimd::batch<T, A> apply_unary(UnaryOp op, const xsimd::batch<T, A>& x) {
  using batch_simd = xsimd::batch<T, A>;
  constexpr T exp_lo = EdgeRange<T>::exp_lo, exp_hi = EdgeRange<T>::exp_hi;
  const auto keep_nan = [&](const batch_simd& y) { return simd::keep_nan(x, y); };
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
    case UnaryOp::tanh:  // the shared batch functions of wengert/tensor/simd.hpp
      return simd::tanh(x);
    case UnaryOp::sigmoid:  // (its edge range fixed inside)
      return simd::sigmoid(x);
    // relu keeps NaN (x < 0 is false for NaN), like PyTorch.
    case UnaryOp::relu:
      return xsimd::select(x < batch_simd(T(0)), batch_simd(T(0)), x);
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
  using batch_simd = xsimd::batch<T, A>;
  switch (op) {
    case UnaryOp::exp:
      return xsimd::any(x < batch_simd(EdgeRange<T>::exp_lo) ||
                        x > batch_simd(EdgeRange<T>::exp_hi));
    case UnaryOp::log:
      return xsimd::any(x < batch_simd(std::numeric_limits<T>::min()) && x > batch_simd(T(0)));
    default:
      return false;
  }
}

template <class T>
T edge_value(UnaryOp op, T x, T fast) {
  switch (op) {
    case UnaryOp::exp:
      return x < EdgeRange<T>::exp_lo || x > EdgeRange<T>::exp_hi ? std::exp(x) : fast;
    case UnaryOp::log:
      return x > T(0) && x < std::numeric_limits<T>::min() ? std::log(x) : fast;
    default:
      return fast;
  }
}

template <class T, class A>
void unary_batch(UnaryOp op, const T* x, T* y) {
  using batch_simd = xsimd::batch<T, A>;
  const batch_simd v = batch_simd::load_aligned(x);
  apply_unary(op, v).store_aligned(y);
  if (needs_edge_fix(op, v))
    for (std::size_t k = 0; k < batch_simd::size; ++k) y[k] = edge_value(op, x[k], y[k]);
}

template <class Arch, class T>
void UnaryKernel::operator()(Arch, UnaryOp op, const T* x, T* y, std::int64_t n) const {
  using batch_simd = xsimd::batch<T, Arch>;
  constexpr std::int64_t width = batch_simd::size;
  std::int64_t i = 0;
  for (; i + width <= n; i += width) {
    const batch_simd v = batch_simd::load_unaligned(x + i);
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

// The loop of one binary op, fixed at compile time so that apply_binary's switch folds away
// (dispatching the op per batch costs more than an add itself).
template <BinaryOp kOp, class Arch, class T>
void binary_loop(const T* a, bool a_scalar, const T* b, bool b_scalar, T* y, std::int64_t n) {
  using batch_simd = xsimd::batch<T, Arch>;
  constexpr std::int64_t width = batch_simd::size;
  const batch_simd a_fixed(a[0]), b_fixed(b[0]);
  auto load = [&](const T* p, bool is_scalar, const batch_simd& fixed, std::int64_t at) {
    return is_scalar ? fixed : batch_simd::load_unaligned(p + at);
  };
  std::int64_t i = 0;
  for (; i + width <= n; i += width)
    apply_binary(kOp, load(a, a_scalar, a_fixed, i), load(b, b_scalar, b_fixed, i))
        .store_unaligned(y + i);
  if (i < n) {
    alignas(64) T buffer_a[width] = {}, buffer_b[width] = {};
    if (!a_scalar) std::copy(a + i, a + n, buffer_a);
    if (!b_scalar) std::copy(b + i, b + n, buffer_b);
    const batch_simd va = a_scalar ? a_fixed : batch_simd::load_aligned(buffer_a);
    const batch_simd vb = b_scalar ? b_fixed : batch_simd::load_aligned(buffer_b);
    apply_binary(kOp, va, vb).store_aligned(buffer_a);
    std::copy(buffer_a, buffer_a + (n - i), y + i);
  }
}

// binary_loop for every op, indexed by the op's value (add = 0 .. pow, the last).
template <class Arch, class T, std::size_t... kOps>
constexpr auto binary_loops(std::index_sequence<kOps...>) {
  using Loop = void (*)(const T*, bool, const T*, bool, T*, std::int64_t);
  return std::array<Loop, sizeof...(kOps)>{&binary_loop<static_cast<BinaryOp>(kOps), Arch, T>...};
}

template <class Arch, class T>
void BinaryKernel::operator()(Arch, BinaryOp op, const T* a, bool a_scalar, const T* b,
                              bool b_scalar, T* y, std::int64_t n) const {
  static constexpr auto loops = binary_loops<Arch, T>(
      std::make_index_sequence<static_cast<std::size_t>(BinaryOp::pow) + 1>{});
  loops[static_cast<std::size_t>(op)](a, a_scalar, b, b_scalar, y, n);
}

}  // namespace wengert::kernels
