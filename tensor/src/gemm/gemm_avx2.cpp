// The packed GEMM of gemm_kernel.hpp instantiated for xsimd::fma3<xsimd::avx2>; this file is
// compiled with -mavx2 -mfma (chosen by the _avx2.cpp suffix).
#include "gemm_kernel.hpp"

namespace wengert::detail {

template void GemmKernel<float>::operator()(xsimd::fma3<xsimd::avx2>, const GemmProblem<float>&,
                                            float*) const;
template void GemmKernel<double>::operator()(xsimd::fma3<xsimd::avx2>, const GemmProblem<double>&,
                                             double*) const;

WENGERT_PACKED_GEMM_INSTANCES(, xsimd::fma3<xsimd::avx2>, float)
WENGERT_PACKED_GEMM_INSTANCES(, xsimd::fma3<xsimd::avx2>, double)

}  // namespace wengert::detail
