// The fused recurrent kernels compiled for avx512 (this file gets that instruction set's flags).
#include "cell_kernels_impl.hpp"

namespace wengert::nn::fused {
WENGERT_DECLARE_FUSED_KERNELS(, xsimd::avx512bw)
}  // namespace wengert::nn::fused
