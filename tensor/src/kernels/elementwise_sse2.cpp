// The elementwise kernels compiled for sse2 (this file gets that instruction set's flags).
#include "elementwise_kernels_impl.hpp"

namespace wengert::kernels {
WENGERT_DECLARE_ELEMENTWISE(, xsimd::sse2)
}  // namespace wengert::kernels
