// The elementwise kernels compiled for avx512 (this file gets that instruction set's flags).
#include "elementwise_kernels_impl.hpp"

namespace wengert::kernels {
WENGERT_DECLARE_ELEMENTWISE(, xsimd::avx512bw)
}  // namespace wengert::kernels
