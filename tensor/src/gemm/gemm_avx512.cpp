// The packed GEMM of gemm_kernel.hpp instantiated for xsimd::avx512bw; this file is compiled with
// -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma (chosen by the _avx512.cpp suffix).
#include "gemm_kernel.hpp"

namespace wengert::detail {

template void GemmKernel<float>::operator()(xsimd::avx512bw, const GemmProblem<float>&,
                                            float*) const;
template void GemmKernel<double>::operator()(xsimd::avx512bw, const GemmProblem<double>&,
                                             double*) const;

WENGERT_PACKED_GEMM_INSTANCES(, xsimd::avx512bw, float)
WENGERT_PACKED_GEMM_INSTANCES(, xsimd::avx512bw, double)

}  // namespace wengert::detail
