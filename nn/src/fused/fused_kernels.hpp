// The kernels of the fused recurrent layer, as seen by its driver (fused_recurrent.cpp): a table
// of function pointers per dtype, filled for the best instruction set of this CPU. The bodies are
// in fused_kernels_impl.hpp (the packed step GEMM) and cell_kernels_impl.hpp (the fused bias +
// nonlinearity of each cell, forward and backward side by side); only the per-architecture files
// fused_kernels_<arch>.cpp include them (xsimd 8.1 needs that separation, see STYLE.md).
//
// Every kernel works on `rows` batch rows of one time step; rows of different batch elements are
// independent through the whole sequence, which is how the driver splits work among threads.
// Shapes per step: gates [rows, G*H] (row stride G*H), hidden and cell states [rows, H] (stride H).
#pragma once

#include <cstdint>
#include <xsimd/xsimd.hpp>

namespace wengert::nn::fused {

// Best first, as in the tensor kernels.
using FusedArchs = xsimd::arch_list<xsimd::avx512bw, xsimd::fma3<xsimd::avx2>, xsimd::sse2>;

template <class T>
struct Kernels {
  const char* arch;
  // Columns per packed panel of the step GEMM's right operand (two SIMD registers).
  int panel_width;

  // C[M, N] = A[M, K] @ Bp (+ C when accumulate). A row-major with row stride lda; Bp is a K x N
  // matrix packed by pack_panels() with this table's panel_width; C row-major, row stride ldc.
  void (*packed_gemm)(std::int64_t M, std::int64_t N, std::int64_t K, const T* a, std::int64_t lda,
                      const T* bp, bool accumulate, T* c, std::int64_t ldc);

  // out[0, n) = x[0, n) + y[0, n) (out may be x or y): the row additions of the one-hot gather
  // and scatter and of the bias gradients.
  void (*add_row)(std::int64_t n, const T* x, const T* y, T* out);

  // --- rnn: g = pre-activation (both biases included), h = act(g) ---
  void (*rnn_forward)(bool relu, std::int64_t rows, std::int64_t H, const T* g, T* h);
  // dh = dy + dh_rec;  dg = dh * act'(h)
  void (*rnn_backward)(bool relu, std::int64_t rows, std::int64_t H, const T* h, const T* dy,
                       const T* dh_rec, T* dg);

  // --- gru: gx = x-side pre-activations r, z, n (with b_ih), replaced by the activations;
  //     gh = W_hh h (no bias); hn = W_hn h + b_hn is written for the backward ---
  void (*gru_forward)(std::int64_t rows, std::int64_t H, T* gx, const T* gh, const T* b_hh,
                      const T* h_prev, T* hn, T* h);
  // dh = dy + dh_rec; writes dgx, dgh [rows, 3H] and replaces dh_rec by the direct term dh * z.
  void (*gru_backward)(std::int64_t rows, std::int64_t H, const T* acts, const T* hn,
                       const T* h_prev, const T* dy, T* dh_rec, T* dgx, T* dgh);

  // --- lstm: g = pre-activations i, f, g, o (both biases), replaced by the activations ---
  void (*lstm_forward)(std::int64_t rows, std::int64_t H, T* g, const T* c_prev, T* c, T* h);
  // dh = dy + dh_rec; dc (in: from above, out: dc_prev); writes dg [rows, 4H].
  void (*lstm_backward)(std::int64_t rows, std::int64_t H, const T* acts, const T* c_prev,
                        const T* c, const T* dy, const T* dh_rec, T* dc, T* dg);
};

// The table for one architecture; instantiated only in fused_kernels_<arch>.cpp.
template <class Arch, class T>
Kernels<T> kernels_for();

// The table for the best architecture of this CPU (looked up once).
template <class T>
const Kernels<T>& kernels();

// Packs B (K x N, element (k, n) at b[k * b_rs + n * b_cs]) into panels of `nr` columns, each
// stored row after row and zero-padded past N:  dst[(n / nr) * K * nr + k * nr + n % nr].
// dst holds packed_size(K, N, nr) elements. The step GEMM then streams each panel with unit stride.
template <class T>
void pack_panels(std::int64_t K, std::int64_t N, const T* b, std::int64_t b_rs, std::int64_t b_cs,
                 int nr, T* dst);
inline std::int64_t packed_size(std::int64_t K, std::int64_t N, int nr) {
  return (N + nr - 1) / nr * nr * K;
}

#define WENGERT_DECLARE_FUSED_KERNELS(EXTERN, ARCH)          \
  EXTERN template Kernels<float> kernels_for<ARCH, float>(); \
  EXTERN template Kernels<double> kernels_for<ARCH, double>();

WENGERT_DECLARE_FUSED_KERNELS(extern, xsimd::avx512bw)
WENGERT_DECLARE_FUSED_KERNELS(extern, xsimd::fma3<xsimd::avx2>)
WENGERT_DECLARE_FUSED_KERNELS(extern, xsimd::sse2)

}  // namespace wengert::nn::fused
