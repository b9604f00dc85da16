// Run-time choice of the elementwise kernels: xsimd::dispatch tests the CPU once per entry point.
#include "elementwise_kernels.hpp"

namespace wengert::kernels {

template <class T>
void simd_unary(UnaryOp op, const T* x, T* y, std::int64_t n) {
  static auto kernel = xsimd::dispatch<simd::Archs>(UnaryKernel{});
  kernel(op, x, y, n);
}

template <class T>
void simd_binary(BinaryOp op, const T* a, bool a_scalar, const T* b, bool b_scalar, T* y,
                 std::int64_t n) {
  static auto kernel = xsimd::dispatch<simd::Archs>(BinaryKernel{});
  kernel(op, a, a_scalar, b, b_scalar, y, n);
}

template void simd_unary<float>(UnaryOp, const float*, float*, std::int64_t);
template void simd_unary<double>(UnaryOp, const double*, double*, std::int64_t);
template void simd_binary<float>(BinaryOp, const float*, bool, const float*, bool, float*,
                                 std::int64_t);
template void simd_binary<double>(BinaryOp, const double*, bool, const double*, bool, double*,
                                  std::int64_t);

}  // namespace wengert::kernels

namespace wengert::simd {

template <class T>
void add_row(std::int64_t n, const T* x, const T* y, T* out) {
  kernels::simd_binary<T>(kernels::BinaryOp::add, x, false, y, false, out, n);
}

template void add_row<float>(std::int64_t, const float*, const float*, float*);
template void add_row<double>(std::int64_t, const double*, const double*, double*);

}  // namespace wengert::simd
