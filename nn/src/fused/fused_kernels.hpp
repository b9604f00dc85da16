// The cell kernels of the fused recurrent layer, as seen by its driver (fused_recurrent.cpp): a
// table of function pointers per dtype, filled for the best instruction set of this CPU
// (wengert::simd::Archs, the tensor module's list). The bodies are in cell_kernels_impl.hpp (the
// fused bias + nonlinearity of each cell, forward and backward side by side); only the
// per-architecture files fused_kernels_<arch>.cpp include it (xsimd 8.1 needs that separation,
// see STYLE.md). The step GEMMs are the tensor module's (wengert/tensor/packed_gemm.hpp).
//
// Every kernel works on `rows` batch rows of one time step; rows of different batch elements are
// independent through the whole sequence, which is how the driver splits work among threads.
// Shapes per step: gates [rows, G*H] (row stride G*H), hidden and cell states [rows, H] (stride H).
#pragma once

#include <cstdint>
#include <wengert/tensor/simd.hpp>

namespace wengert::nn::fused {

template <class Scalar>
struct Kernels {
  const char* arch;

  // --- rnn: gates = pre-activation (both biases included), h = act(gates) ---
  void (*rnn_forward)(bool relu, std::int64_t rows, std::int64_t H, const Scalar* gates, Scalar* h);
  // dh = dy + dh_rec;  dgates = dh * act'(h)
  void (*rnn_backward)(bool relu, std::int64_t rows, std::int64_t H, const Scalar* h,
                       const Scalar* dy, const Scalar* dh_rec, Scalar* dgates);

  // --- gru: gx = x-side pre-activations r, z, n (with b_ih), replaced by the activations;
  //     gh = W_hh h (no bias); hn = W_hn h + b_hn is written for the backward ---
  void (*gru_forward)(std::int64_t rows, std::int64_t H, Scalar* gx, const Scalar* gh,
                      const Scalar* b_hh, const Scalar* h_prev, Scalar* hn, Scalar* h);
  // dh = dy + dh_rec; writes dgx, dgh [rows, 3H] and replaces dh_rec by the direct term dh * z.
  void (*gru_backward)(std::int64_t rows, std::int64_t H, const Scalar* acts, const Scalar* hn,
                       const Scalar* h_prev, const Scalar* dy, Scalar* dh_rec, Scalar* dgx,
                       Scalar* dgh);

  // --- lstm: gates = pre-activations i, f, g, o (both biases), replaced by the activations ---
  void (*lstm_forward)(std::int64_t rows, std::int64_t H, Scalar* gates, const Scalar* c_prev,
                       Scalar* c, Scalar* h);
  // dh = dy + dh_rec; dc (in: from above, out: dc_prev); writes dgates [rows, 4H].
  void (*lstm_backward)(std::int64_t rows, std::int64_t H, const Scalar* acts, const Scalar* c_prev,
                        const Scalar* c, const Scalar* dy, const Scalar* dh_rec, Scalar* dc,
                        Scalar* dgates);
};

// The table for one architecture; instantiated only in fused_kernels_<arch>.cpp.
template <class Arch, class Scalar>
Kernels<Scalar> kernels_for();

// The table for the best architecture of this CPU (looked up once).
template <class Scalar>
const Kernels<Scalar>& kernels();

#define WENGERT_DECLARE_FUSED_KERNELS(EXTERN, ARCH)          \
  EXTERN template Kernels<float> kernels_for<ARCH, float>(); \
  EXTERN template Kernels<double> kernels_for<ARCH, double>();

WENGERT_DECLARE_FUSED_KERNELS(extern, xsimd::avx512bw)
WENGERT_DECLARE_FUSED_KERNELS(extern, xsimd::fma3<xsimd::avx2>)
WENGERT_DECLARE_FUSED_KERNELS(extern, xsimd::sse2)

}  // namespace wengert::nn::fused
