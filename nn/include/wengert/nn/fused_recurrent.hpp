// The fast path of the recurrent layers: one whole-sequence RNN / GRU / LSTM layer as ONE tape
// entry with a hand-written backward through time. Its composed twin is the cell-by-cell
// Recurrent module (recurrent.hpp, `fused = false`); tests/nn/test_fused_recurrent.cpp checks that
// both agree in value and in every gradient.
//
// How it runs (src/fused/fused_recurrent.cpp, cell kernels in src/fused/; shape letters: T time,
// B batch, I input, H hidden, G gate count; gates = the stacked gate pre-activations):
//   forward   gates = x @ w_ih^T + biases     one GEMM for all T steps, [T*B, G*H]
//             per step: gates_t += h_{t-1} @ w_hh^T   (packed_matmul_into, w_hh packed once)
//                       then one fused bias + nonlinearity kernel -> h_t (and c_t)
//   backward  per step, newest first: dgates_t from dh_t (and dc_t), then
//             dh_{t-1} = dgates_t @ w_hh; after the loop, one GEMM each: dW_ih = dgates^T x,
//             dW_hh = dgates^T h_prev, dx = dgates @ w_ih
// Saved for the backward: the gate activations of every step (and c_t for LSTM, W_hn h + b_hn for
// GRU); the hidden states are the output itself.
#pragma once

#include <wengert/autograd.hpp>

#include "recurrent.hpp"  // CellKind, StateGradientScale

namespace wengert::nn {

// One layer over a whole sequence, PyTorch's weight layout and gate order:
//   x [T, B, I], h0 [B, H], c0 [B, H] for LSTM (an undefined Var otherwise),
//   w_ih [G*H, I], w_hh [G*H, H], b_ih [G*H], b_hh [G*H]; f32 or f64, all the same dtype.
//   b_ih and b_hh may both be undefined: a layer without biases (PyTorch's bias=False).
//   rnn:  h' = act(W_ih x + b_ih + W_hh h + b_hh),  act = tanh or relu
//   gru:  r = s(W_ir x + b_ir + W_hr h + b_hr),  z = s(W_iz x + b_iz + W_hz h + b_hz),
//         n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h
//   lstm: i, f, o = s(...), g = tanh(...),  c' = f * c + i * g,  h' = o * tanh(c')
// x may also be i64 token ids [T, B] standing for one-hot rows of I = w_ih.size(1): the input
// projection is then a gather of w_ih's columns and dW_ih a scatter-add (no dx).
// reverse: run from t = T - 1 down to 0 (the reverse direction of a bidirectional layer), h0 then
// being the state before step T - 1. The output is in time order either way.
// Returns every hidden state, [T, B, H]; for LSTM [T + 1, B, H] where row T is the final cell
// state (c after the last step run: c_{T-1}, or c_0 when reverse; a tape entry has one output,
// the caller slices it). x and dout are made contiguous (a copy only when they are not). Throws
// wengert::Error naming the shapes when they do not fit. scale: see StateGradientScale.
Var fused_recurrent_layer(CellKind kind, const Var& x, const Var& h0, const Var& c0,
                          const Var& w_ih, const Var& w_hh, const Var& b_ih, const Var& b_hh,
                          bool reverse = false, StateGradientScale scale = {});

}  // namespace wengert::nn
