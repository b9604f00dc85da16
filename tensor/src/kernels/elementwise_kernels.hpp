// Vectorized elementwise kernels over contiguous rows (f32, f64). Declared here, defined in
// elementwise_kernels_impl.hpp, instantiated once per instruction set in elementwise_<arch>.cpp;
// the rest of the library only sees these declarations (xsimd 8.1 needs that separation).
#pragma once

#include <cstdint>

#include "wengert/tensor/simd.hpp"

namespace wengert::kernels {

enum class UnaryOp : std::uint8_t { neg, abs, exp, log, sqrt, tanh, sigmoid, relu };
enum class BinaryOp : std::uint8_t { add, sub, mul, div, maximum, minimum, pow };

struct UnaryKernel {
  // y[i] = op(x[i]) for i < n.
  template <class Arch, class T>
  void operator()(Arch, UnaryOp op, const T* x, T* y, std::int64_t n) const;
};

struct BinaryKernel {
  // y[i] = op(a[a_scalar ? 0 : i], b[b_scalar ? 0 : i]) for i < n.
  template <class Arch, class T>
  void operator()(Arch, BinaryOp op, const T* a, bool a_scalar, const T* b, bool b_scalar, T* y,
                  std::int64_t n) const;
};

#define WENGERT_DECLARE_ELEMENTWISE(EXTERN, ARCH)                                                \
  EXTERN template void UnaryKernel::operator()<ARCH, float>(ARCH, UnaryOp, const float*, float*, \
                                                            std::int64_t) const;                 \
  EXTERN template void UnaryKernel::operator()<ARCH, double>(ARCH, UnaryOp, const double*,       \
                                                             double*, std::int64_t) const;       \
  EXTERN template void BinaryKernel::operator()<ARCH, float>(                                    \
      ARCH, BinaryOp, const float*, bool, const float*, bool, float*, std::int64_t) const;       \
  EXTERN template void BinaryKernel::operator()<ARCH, double>(                                   \
      ARCH, BinaryOp, const double*, bool, const double*, bool, double*, std::int64_t) const;

WENGERT_DECLARE_ELEMENTWISE(extern, xsimd::avx512bw)
WENGERT_DECLARE_ELEMENTWISE(extern, xsimd::fma3<xsimd::avx2>)
WENGERT_DECLARE_ELEMENTWISE(extern, xsimd::sse2)

// Entry points that dispatch to the best instruction set of this CPU.
template <class T>
void simd_unary(UnaryOp op, const T* x, T* y, std::int64_t n);
template <class T>
void simd_binary(BinaryOp op, const T* a, bool a_scalar, const T* b, bool b_scalar, T* y,
                 std::int64_t n);

}  // namespace wengert::kernels
