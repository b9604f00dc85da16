// The packed GEMM of gemm_kernel.hpp instantiated for xsimd::sse2; this file is compiled with
// the baseline x86-64 flags only, so it runs on any x86-64 CPU.
#include "gemm_kernel.hpp"

namespace wengert::detail {

template void GemmKernel<float>::operator()(xsimd::sse2, const GemmProblem<float>&, float*) const;
template void GemmKernel<double>::operator()(xsimd::sse2, const GemmProblem<double>&,
                                             double*) const;

WENGERT_PACKED_GEMM_INSTANCES(, xsimd::sse2, float)
WENGERT_PACKED_GEMM_INSTANCES(, xsimd::sse2, double)

}  // namespace wengert::detail
