// The fused recurrent kernels compiled for sse2 (this file gets that instruction set's flags).
#include "cell_kernels_impl.hpp"

namespace wengert::nn::fused {
WENGERT_DECLARE_FUSED_KERNELS(, xsimd::sse2)
}  // namespace wengert::nn::fused
