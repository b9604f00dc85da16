// Bodies of the elementwise kernels: a loop over full xsimd batches, then the tail run through the
// same batch code on a zero-padded buffer, so every element gets bit-identical math wherever it
// sits in the array. Only the per-architecture elementwise_<arch>.cpp files include this.
#pragma once

#include <algorithm>
#include <cstring>

#include "elementwise_kernels.hpp"

namespace wengert::kernels {

template <class T, class A>
xsimd::batch<T, A> apply_unary(UnaryOp op, const xsimd::batch<T, A>& x) {
  using B = xsimd::batch<T, A>;
  switch (op) {
    case UnaryOp::neg: return -x;
    case UnaryOp::abs: return xsimd::abs(x);
    case UnaryOp::exp: return xsimd::exp(x);
    case UnaryOp::log: return xsimd::log(x);
    case UnaryOp::sqrt: return xsimd::sqrt(x);
    case UnaryOp::tanh: return xsimd::tanh(x);
    // sigmoid(x) = 1 / (1 + e^-x): e^-x overflows to inf for x << 0, giving exactly 0.
    case UnaryOp::sigmoid: return B(T(1)) / (B(T(1)) + xsimd::exp(-x));
    // relu keeps NaN (x < 0 is false for NaN), like PyTorch.
    case UnaryOp::relu: return xsimd::select(x < B(T(0)), B(T(0)), x);
  }
  return x;
}

template <class T, class A>
xsimd::batch<T, A> apply_binary(BinaryOp op, const xsimd::batch<T, A>& a,
                                const xsimd::batch<T, A>& b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    case BinaryOp::div: return a / b;
    // maximum / minimum propagate NaN like PyTorch (a + b is NaN when either is).
    case BinaryOp::maximum:
      return xsimd::select(xsimd::isnan(a) || xsimd::isnan(b), a + b, xsimd::max(a, b));
    case BinaryOp::minimum:
      return xsimd::select(xsimd::isnan(a) || xsimd::isnan(b), a + b, xsimd::min(a, b));
    case BinaryOp::pow: return xsimd::pow(a, b);
  }
  return a;
}

template <class Arch, class T>
void UnaryKernel::operator()(Arch, UnaryOp op, const T* x, T* y, std::int64_t n) const {
  using B = xsimd::batch<T, Arch>;
  constexpr std::int64_t width = B::size;
  std::int64_t i = 0;
  for (; i + width <= n; i += width) apply_unary(op, B::load_unaligned(x + i)).store_unaligned(y + i);
  if (i < n) {
    alignas(64) T buffer[width] = {};
    std::copy(x + i, x + n, buffer);
    apply_unary(op, B::load_aligned(buffer)).store_aligned(buffer);
    std::copy(buffer, buffer + (n - i), y + i);
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
