// The per-step kernels of the fused recurrent layer: for each cell, the bias + nonlinearity of
// the forward and, right below it, the gradient of the same step. Everything that is elementwise
// in one time step is fused into one pass over [rows, H]; the GEMMs are done by the driver.
// Each body is written once, generic in V: V = xsimd::batch for full SIMD batches of a row, V = T
// for the scalar tail (odd H), so both run the same math.
//
// Notation (llm.c style): lowercase gate names are activations, `d` prefix = d(loss)/d(.),
// dG = gradient of the gate pre-activations (what the GEMMs of the backward consume),
// dh = dy (from the output) + dh_rec (from step t + 1 through W_hh).
// Only the per-architecture files fused_kernels_<arch>.cpp include this header.
#pragma once

#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "fused_kernels.hpp"
#include "step_gemm_impl.hpp"

namespace wengert::nn::fused {

// Everything is a member of this Arch-templated struct, so the copies compiled with different
// instruction sets never share a symbol.
template <class Arch, class T>
struct Cells {
  using B = xsimd::batch<T, Arch>;
  static constexpr std::int64_t W = B::size;
  using Wide = std::type_identity<B>;

  template <class V>
  static V ld(const T* p) {
    if constexpr (std::is_same_v<V, T>)
      return *p;
    else
      return V::load_unaligned(p);
  }
  static void st(T* p, T v) { *p = v; }
  static void st(T* p, const B& v) { v.store_unaligned(p); }

  static void add_row(std::int64_t n, const T* x, const T* y, T* out) {
    std::int64_t j = 0;
    for (; j + W <= n; j += W) st(out + j, ld<B>(x + j) + ld<B>(y + j));
    for (; j < n; ++j) out[j] = x[j] + y[j];
  }

  template <class V>
  static V sigmoid(const V& x) {
    return V(T(1)) / (V(T(1)) + xsimd::exp(-x));
  }
  template <class V>
  static V tanh(const V& x) {
    return xsimd::tanh(x);
  }
  template <class V>
  static V relu(const V& x) {
    if constexpr (std::is_same_v<V, T>)
      return x > T(0) ? x : T(0);
    else
      return xsimd::select(x > V(T(0)), x, V(T(0)));
  }
  // dx of relu from its output y: dy where y > 0, else 0.
  template <class V>
  static V relu_grad(const V& y, const V& dy) {
    if constexpr (std::is_same_v<V, T>)
      return y > T(0) ? dy : T(0);
    else
      return xsimd::select(y > V(T(0)), dy, V(T(0)));
  }

  // body(tag, j) for j in [0, n): full batches first (tag = Wide), then one element at a time
  // (tag = std::type_identity<T>).
  template <class F>
  static void over(std::int64_t n, F&& body) {
    std::int64_t j = 0;
    for (; j + W <= n; j += W) body(Wide{}, j);
    for (; j < n; ++j) body(std::type_identity<T>{}, j);
  }

  // ---------------------------------------------------------------------------------------------
  // RNN:  h = act(g), g = W_ih x + b_ih + W_hh h_prev + b_hh (all summed by the GEMMs).
  // Rows are contiguous (G = 1), so [rows, H] is one flat array.
  static void rnn_forward(bool relu_act, std::int64_t rows, std::int64_t H, const T* g, T* h) {
    over(rows * H, [&](auto tag, std::int64_t j) {
      using V = typename decltype(tag)::type;
      const V x = ld<V>(g + j);
      st(h + j, relu_act ? relu(x) : tanh(x));
    });
  }
  // dh = dy + dh_rec;  dG = dh * act'(g), from the output: tanh' = 1 - h^2, relu' = [h > 0].
  static void rnn_backward(bool relu_act, std::int64_t rows, std::int64_t H, const T* h,
                           const T* dy, const T* dh_rec, T* dg) {
    over(rows * H, [&](auto tag, std::int64_t j) {
      using V = typename decltype(tag)::type;
      const V hv = ld<V>(h + j);
      const V dh = ld<V>(dy + j) + ld<V>(dh_rec + j);
      st(dg + j, relu_act ? relu_grad(hv, dh) : dh * (V(T(1)) - hv * hv));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // GRU, gates r, z, n in blocks of H columns of gx / gh (row stride 3H):
  //   r  = s(gx_r + gh_r + b_hr)         gx = W_ih x + b_ih,  gh = W_hh h_prev
  //   z  = s(gx_z + gh_z + b_hz)
  //   hn = gh_n + b_hn                   (saved: the backward needs it for dr)
  //   n  = tanh(gx_n + r * hn)
  //   h  = (1 - z) * n + z * h_prev  =  n + z * (h_prev - n)
  // gx is overwritten by the activations r, z, n.
  static void gru_forward(std::int64_t rows, std::int64_t H, T* gx, const T* gh, const T* b_hh,
                          const T* h_prev, T* hn, T* h) {
    for (std::int64_t b = 0; b < rows; ++b) {
      T* gxb = gx + b * 3 * H;
      const T* ghb = gh + b * 3 * H;
      const T* hpb = h_prev + b * H;
      T* hnb = hn + b * H;
      T* hb = h + b * H;
      over(H, [&](auto tag, std::int64_t j) {
        using V = typename decltype(tag)::type;
        const V r = sigmoid(ld<V>(gxb + j) + ld<V>(ghb + j) + ld<V>(b_hh + j));
        const V z = sigmoid(ld<V>(gxb + H + j) + ld<V>(ghb + H + j) + ld<V>(b_hh + H + j));
        const V hnv = ld<V>(ghb + 2 * H + j) + ld<V>(b_hh + 2 * H + j);
        const V n = tanh(ld<V>(gxb + 2 * H + j) + r * hnv);
        const V hp = ld<V>(hpb + j);
        st(gxb + j, r);
        st(gxb + H + j, z);
        st(gxb + 2 * H + j, n);
        st(hnb + j, hnv);
        st(hb + j, n + z * (hp - n));
      });
    }
  }
  // Term by term, from h = (1 - z) * n + z * h_prev:
  //   dn = dh * (1 - z)      dz = dh * (h_prev - n)      dh_prev (direct) = dh * z
  //   dn_pre = dn * (1 - n^2)                 the pre-activation of n: gx_n + r * hn
  //   dr = dn_pre * hn       dhn = dn_pre * r
  //   dr_pre = dr * r (1 - r)                 dz_pre = dz * z (1 - z)
  // The x side and the h side see the same dr_pre, dz_pre but different n terms:
  //   dGx = [dr_pre, dz_pre, dn_pre]          dGh = [dr_pre, dz_pre, dhn]
  // dh_rec (in: the part of dh from step t + 1) is replaced by the direct term dh * z, to which
  // the driver then adds dGh @ W_hh.
  static void gru_backward(std::int64_t rows, std::int64_t H, const T* acts, const T* hn,
                           const T* h_prev, const T* dy, T* dh_rec, T* dgx, T* dgh) {
    for (std::int64_t b = 0; b < rows; ++b) {
      const T* ab = acts + b * 3 * H;
      const T* hnb = hn + b * H;
      const T* hpb = h_prev + b * H;
      const T* dyb = dy + b * H;
      T* dhb = dh_rec + b * H;
      T* dgxb = dgx + b * 3 * H;
      T* dghb = dgh + b * 3 * H;
      over(H, [&](auto tag, std::int64_t j) {
        using V = typename decltype(tag)::type;
        const V one(T(1));
        const V r = ld<V>(ab + j), z = ld<V>(ab + H + j), n = ld<V>(ab + 2 * H + j);
        const V dh = ld<V>(dyb + j) + ld<V>(dhb + j);
        const V dn_pre = dh * (one - z) * (one - n * n);
        const V dz_pre = dh * (ld<V>(hpb + j) - n) * z * (one - z);
        const V dr_pre = dn_pre * ld<V>(hnb + j) * r * (one - r);
        st(dgxb + j, dr_pre);
        st(dgxb + H + j, dz_pre);
        st(dgxb + 2 * H + j, dn_pre);
        st(dghb + j, dr_pre);
        st(dghb + H + j, dz_pre);
        st(dghb + 2 * H + j, dn_pre * r);
        st(dhb + j, dh * z);
      });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // LSTM, gates i, f, g, o in blocks of H columns of g (row stride 4H), both biases included:
  //   i = s(g_i)  f = s(g_f)  g = tanh(g_g)  o = s(g_o)
  //   c = f * c_prev + i * g          h = o * tanh(c)
  // g is overwritten by the activations.
  static void lstm_forward(std::int64_t rows, std::int64_t H, T* g, const T* c_prev, T* c, T* h) {
    for (std::int64_t b = 0; b < rows; ++b) {
      T* gb = g + b * 4 * H;
      const T* cpb = c_prev + b * H;
      T* cb = c + b * H;
      T* hb = h + b * H;
      over(H, [&](auto tag, std::int64_t j) {
        using V = typename decltype(tag)::type;
        const V i = sigmoid(ld<V>(gb + j));
        const V f = sigmoid(ld<V>(gb + H + j));
        const V gg = tanh(ld<V>(gb + 2 * H + j));
        const V o = sigmoid(ld<V>(gb + 3 * H + j));
        const V cv = f * ld<V>(cpb + j) + i * gg;
        st(gb + j, i);
        st(gb + H + j, f);
        st(gb + 2 * H + j, gg);
        st(gb + 3 * H + j, o);
        st(cb + j, cv);
        st(hb + j, o * tanh(cv));
      });
    }
  }
  // Term by term (tc = tanh(c), recomputed rather than saved):
  //   do = dh * tc                    dc += dh * o * (1 - tc^2)     (dc from step t + 1 or c_T)
  //   di = dc * g   df = dc * c_prev   dg = dc * i                  dc_prev = dc * f
  //   dG = [di * i (1 - i), df * f (1 - f), dg * (1 - g^2), do * o (1 - o)]
  static void lstm_backward(std::int64_t rows, std::int64_t H, const T* acts, const T* c_prev,
                            const T* c, const T* dy, const T* dh_rec, T* dc, T* dg) {
    for (std::int64_t b = 0; b < rows; ++b) {
      const T* ab = acts + b * 4 * H;
      const T* cpb = c_prev + b * H;
      const T* cb = c + b * H;
      const T* dyb = dy + b * H;
      const T* dhb = dh_rec + b * H;
      T* dcb = dc + b * H;
      T* dgb = dg + b * 4 * H;
      over(H, [&](auto tag, std::int64_t j) {
        using V = typename decltype(tag)::type;
        const V one(T(1));
        const V i = ld<V>(ab + j), f = ld<V>(ab + H + j);
        const V gg = ld<V>(ab + 2 * H + j), o = ld<V>(ab + 3 * H + j);
        const V dh = ld<V>(dyb + j) + ld<V>(dhb + j);
        const V tc = tanh(ld<V>(cb + j));
        const V dcv = ld<V>(dcb + j) + dh * o * (one - tc * tc);
        st(dgb + j, dcv * gg * i * (one - i));
        st(dgb + H + j, dcv * ld<V>(cpb + j) * f * (one - f));
        st(dgb + 2 * H + j, dcv * i * (one - gg * gg));
        st(dgb + 3 * H + j, dh * tc * o * (one - o));
        st(dcb + j, dcv * f);
      });
    }
  }
};

template <class Arch, class T>
Kernels<T> kernels_for() {
  using C = Cells<Arch, T>;
  return Kernels<T>{Arch::name(),          2 * static_cast<int>(xsimd::batch<T, Arch>::size),
                    &packed_gemm<Arch, T>, &C::add_row,
                    &C::rnn_forward,       &C::rnn_backward,
                    &C::gru_forward,       &C::gru_backward,
                    &C::lstm_forward,      &C::lstm_backward};
}

}  // namespace wengert::nn::fused
