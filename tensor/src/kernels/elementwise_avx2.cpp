// The elementwise kernels compiled for avx2 (this file gets that instruction set's flags).
#include "elementwise_kernels_impl.hpp"

namespace wengert::kernels {
WENGERT_DECLARE_ELEMENTWISE(, xsimd::fma3<xsimd::avx2>)
}  // namespace wengert::kernels
