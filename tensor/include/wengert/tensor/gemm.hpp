// General matrix multiply on raw pointers and strides: C = alpha * A @ B + beta * C.
// The fast path is a packed GEMM in the style of BLIS / LAFF-On-PfHP (five blocking loops around
// packing routines and one SIMD register-tile micro-kernel, chosen at run time for AVX-512, AVX2
// or SSE2); gemm_reference is the plain triple loop kept beside it for tests and for reading.
//   Shapes: A is M x K, B is K x N, C is M x N. Strides are in elements and may be anything:
//   A(i,k) = A[i*a_rs + k*a_cs], B(k,j) = B[k*b_rs + j*b_cs], C(i,j) = C[i*c_rs + j*c_cs],
//   so a transposed or strided operand is passed as strides, never copied.
#pragma once

#include <cstdint>
#include <string>

namespace wengert {

// C = alpha * A @ B + beta * C.
// - M, N or K may be 0; K == 0 (or alpha == 0) gives C = beta * C without reading A or B.
// - beta == 0 means C is write-only: whatever C held (even NaN) is not read.
// - Threads: OpenMP, up to omp_get_max_threads(), only when the problem is large enough to pay;
//   the result is bit-identical for every thread count (threads split C, never K).
// - C must not overlap A or B. Throws wengert::Error on negative sizes.
template <class T>
void gemm(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t a_rs, int64_t a_cs,
          const T* B, int64_t b_rs, int64_t b_cs, T beta, T* C, int64_t c_rs, int64_t c_cs);

// Same contract, computed by the textbook triple loop, accumulating each dot product in a wider
// type (double for float, long double for double). Slow; meant for tests and for teaching.
template <class T>
void gemm_reference(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t a_rs,
                    int64_t a_cs, const T* B, int64_t b_rs, int64_t b_cs, T beta, T* C,
                    int64_t c_rs, int64_t c_cs);

extern template void gemm<float>(int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t,
                                 const float*, int64_t, int64_t, float, float*, int64_t, int64_t);
extern template void gemm<double>(int64_t, int64_t, int64_t, double, const double*, int64_t,
                                  int64_t, const double*, int64_t, int64_t, double, double*,
                                  int64_t, int64_t);
extern template void gemm_reference<float>(int64_t, int64_t, int64_t, float, const float*, int64_t,
                                           int64_t, const float*, int64_t, int64_t, float, float*,
                                           int64_t, int64_t);
extern template void gemm_reference<double>(int64_t, int64_t, int64_t, double, const double*,
                                            int64_t, int64_t, const double*, int64_t, int64_t,
                                            double, double*, int64_t, int64_t);

// Which micro-kernel the run-time dispatch picked on this machine: "avx512", "avx2" or "sse2".
std::string gemm_kernel_name();

namespace detail {
// Testing hook: gemm forced onto one kernel ("avx512", "avx2" or "sse2") instead of the one
// dispatch picks, so tests can cover every kernel this CPU can run. Throws wengert::Error if the
// CPU cannot run the requested kernel.
template <class T>
void gemm_with_kernel(const std::string& kernel, int64_t M, int64_t N, int64_t K, T alpha,
                      const T* A, int64_t a_rs, int64_t a_cs, const T* B, int64_t b_rs,
                      int64_t b_cs, T beta, T* C, int64_t c_rs, int64_t c_cs);
}  // namespace detail

}  // namespace wengert
