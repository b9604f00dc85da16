// The per-step kernels of the fused recurrent layer: for each cell, the bias + nonlinearity of
// the forward and, right below it, the gradient of the same step. Everything that is elementwise
// in one time step is fused into one pass over [rows, H]; the GEMMs are done by the driver.
// Each body is written once, generic in V: V = batch_simd (xsimd::batch) for full SIMD batches of
// a row, V = Scalar for the scalar tail (odd H), so both run the same math. sigmoid and tanh are
// the tensor module's (wengert/tensor/simd.hpp, with its edge-range fix), for the tail too.
//
// Notation (llm.c style): lowercase gate names are activations, `d` prefix = d(loss)/d(.),
// dgates = gradient of the gate pre-activations (what the GEMMs of the backward consume),
// dh = dy (from the output) + dh_rec (from step t + 1 through W_hh).
// Only the per-architecture files fused_kernels_<arch>.cpp include this header.
#pragma once

#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "fused_kernels.hpp"

namespace wengert::nn::fused {

// Everything is a member of this Arch-templated struct, so the copies compiled with different
// instruction sets never share a symbol.
template <class Arch, class Scalar>
struct Cells {
  using batch_simd = xsimd::batch<Scalar, Arch>;
  static constexpr std::int64_t W = batch_simd::size;
  using Wide = std::type_identity<batch_simd>;

  template <class V>
  static V ld(const Scalar* p) {
    if constexpr (std::is_same_v<V, Scalar>)
      return *p;
    else
      return V::load_unaligned(p);
  }
  static void st(Scalar* p, Scalar v) { *p = v; }
  static void st(Scalar* p, const batch_simd& v) { v.store_unaligned(p); }

  // The tensor module's sigmoid and tanh (wengert/tensor/simd.hpp); a scalar goes through a
  // batch and comes back as its lane 0.
  template <class V, class F>
  static V on_batch(const V& x, F f) {
    if constexpr (std::is_same_v<V, Scalar>)
      return f(batch_simd(x)).get(0);
    else
      return f(x);
  }
  template <class V>
  static V sigmoid(const V& x) {
    return on_batch(x, [](const batch_simd& b) { return simd::sigmoid(b); });
  }
  template <class V>
  static V tanh(const V& x) {
    return on_batch(x, [](const batch_simd& b) { return simd::tanh(b); });
  }
  template <class V>
  static V relu(const V& x) {
    if constexpr (std::is_same_v<V, Scalar>)
      return x > Scalar(0) ? x : Scalar(0);
    else
      return xsimd::select(x > V(Scalar(0)), x, V(Scalar(0)));
  }
  // dx of relu from its output y: dy where y > 0, else 0.
  template <class V>
  static V relu_grad(const V& y, const V& dy) {
    if constexpr (std::is_same_v<V, Scalar>)
      return y > Scalar(0) ? dy : Scalar(0);
    else
      return xsimd::select(y > V(Scalar(0)), dy, V(Scalar(0)));
  }

  // body(tag, j) for j in [0, n): full batches first (tag = Wide), then one element at a time
  // (tag = std::type_identity<Scalar>).
  template <class F>
  static void over(std::int64_t n, F&& body) {
    std::int64_t j = 0;
    for (; j + W <= n; j += W) body(Wide{}, j);
    for (; j < n; ++j) body(std::type_identity<Scalar>{}, j);
  }

  // ---------------------------------------------------------------------------------------------
  // RNN:  h = act(gates), gates = W_ih x + b_ih + W_hh h_prev + b_hh (all summed by the GEMMs).
  // Rows are contiguous (one gate), so [rows, H] is one flat array.
  static void rnn_forward(bool relu_act, std::int64_t rows, std::int64_t H, const Scalar* gates,
                          Scalar* h) {
    over(rows * H, [&](auto tag, std::int64_t j) {
      using V = typename decltype(tag)::type;
      const V x = ld<V>(gates + j);
      st(h + j, relu_act ? relu(x) : tanh(x));
    });
  }
  // dh = dy + dh_rec;  dgates = dh * act'(gates), from the output: tanh' = 1 - h^2, relu' = [h >
  // 0].
  static void rnn_backward(bool relu_act, std::int64_t rows, std::int64_t H, const Scalar* h,
                           const Scalar* dy, const Scalar* dh_rec, Scalar* dgates) {
    over(rows * H, [&](auto tag, std::int64_t j) {
      using V = typename decltype(tag)::type;
      const V hv = ld<V>(h + j);
      const V dh = ld<V>(dy + j) + ld<V>(dh_rec + j);
      st(dgates + j, relu_act ? relu_grad(hv, dh) : dh * (V(Scalar(1)) - hv * hv));
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
  static void gru_forward(std::int64_t rows, std::int64_t H, Scalar* gx, const Scalar* gh,
                          const Scalar* b_hh, const Scalar* h_prev, Scalar* hn, Scalar* h) {
    for (std::int64_t b = 0; b < rows; ++b) {
      Scalar* gxb = gx + b * 3 * H;
      const Scalar* ghb = gh + b * 3 * H;
      const Scalar* hpb = h_prev + b * H;
      Scalar* hnb = hn + b * H;
      Scalar* hb = h + b * H;
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
  //   dgx = [dr_pre, dz_pre, dn_pre]          dgh = [dr_pre, dz_pre, dhn]
  // dh_rec (in: the part of dh from step t + 1) is replaced by the direct term dh * z, to which
  // the driver then adds dgh @ W_hh.
  static void gru_backward(std::int64_t rows, std::int64_t H, const Scalar* acts, const Scalar* hn,
                           const Scalar* h_prev, const Scalar* dy, Scalar* dh_rec, Scalar* dgx,
                           Scalar* dgh) {
    for (std::int64_t b = 0; b < rows; ++b) {
      const Scalar* ab = acts + b * 3 * H;
      const Scalar* hnb = hn + b * H;
      const Scalar* hpb = h_prev + b * H;
      const Scalar* dyb = dy + b * H;
      Scalar* dhb = dh_rec + b * H;
      Scalar* dgxb = dgx + b * 3 * H;
      Scalar* dghb = dgh + b * 3 * H;
      over(H, [&](auto tag, std::int64_t j) {
        using V = typename decltype(tag)::type;
        const V one(Scalar(1));
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
  // LSTM, gates i, f, g, o in blocks of H columns of `gates` (row stride 4H), both biases in:
  //   i = s(gates_i)  f = s(gates_f)  g = tanh(gates_g)  o = s(gates_o)
  //   c = f * c_prev + i * g          h = o * tanh(c)
  // gates is overwritten by the activations.
  static void lstm_forward(std::int64_t rows, std::int64_t H, Scalar* gates, const Scalar* c_prev,
                           Scalar* c, Scalar* h) {
    for (std::int64_t b = 0; b < rows; ++b) {
      Scalar* gb = gates + b * 4 * H;
      const Scalar* cpb = c_prev + b * H;
      Scalar* cb = c + b * H;
      Scalar* hb = h + b * H;
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
  //   dgates = [di * i (1 - i), df * f (1 - f), dg * (1 - g^2), do * o (1 - o)]
  static void lstm_backward(std::int64_t rows, std::int64_t H, const Scalar* acts,
                            const Scalar* c_prev, const Scalar* c, const Scalar* dy,
                            const Scalar* dh_rec, Scalar* dc, Scalar* dgates) {
    for (std::int64_t b = 0; b < rows; ++b) {
      const Scalar* ab = acts + b * 4 * H;
      const Scalar* cpb = c_prev + b * H;
      const Scalar* cb = c + b * H;
      const Scalar* dyb = dy + b * H;
      const Scalar* dhb = dh_rec + b * H;
      Scalar* dcb = dc + b * H;
      Scalar* dgb = dgates + b * 4 * H;
      over(H, [&](auto tag, std::int64_t j) {
        using V = typename decltype(tag)::type;
        const V one(Scalar(1));
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

template <class Arch, class Scalar>
Kernels<Scalar> kernels_for() {
  using C = Cells<Arch, Scalar>;
  return Kernels<Scalar>{Arch::name(),     &C::rnn_forward,  &C::rnn_backward, &C::gru_forward,
                         &C::gru_backward, &C::lstm_forward, &C::lstm_backward};
}

}  // namespace wengert::nn::fused
