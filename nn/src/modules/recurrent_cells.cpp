// The recurrent cells as compositions of autograd ops (their gradients come for free), and the
// cell modules that own their weights. Shapes: x [B,I], h and c [B,H], gates [B,G*H] with G the
// gate count. These are the readable reference the fused kernels (src/fused/) are tested against.
#include <cmath>
#include <wengert/nn/init.hpp>
#include <wengert/nn/layers.hpp>
#include <wengert/nn/recurrent.hpp>

namespace wengert::nn {

CellKind parse_cell_kind(std::string_view name) {
  return parse_enum(kCellKindNames, name, "parse_cell_kind");
}
std::string_view cell_kind_name(CellKind kind) { return enum_name(kCellKindNames, kind); }

RecurrentState RecurrentState::detach() const {
  return {h.defined() ? h.detach() : Var(), c.defined() ? c.detach() : Var()};
}

// h' = act(W_ih x + b_ih + W_hh h + b_hh)
Var rnn_cell(const Var& x, const Var& h, const CellWeights& w, bool relu) {
  const Var pre = linear(x, w.w_ih, w.b_ih) + linear(h, w.w_hh, w.b_hh);  // [B,H]
  return relu ? wengert::relu(pre) : wengert::tanh(pre);
}

// The reset gate r scales only the hidden part of the candidate n (PyTorch / cuDNN form).
Var gru_cell(const Var& x, const Var& h, const CellWeights& w) {
  const std::vector<Var> gi = chunk(linear(x, w.w_ih, w.b_ih), 3, 1);  // W_i{r,z,n} x + b_i{r,z,n}
  const std::vector<Var> gh = chunk(linear(h, w.w_hh, w.b_hh), 3, 1);  // W_h{r,z,n} h + b_h{r,z,n}
  const Var r = sigmoid(gi[0] + gh[0]);
  const Var z = sigmoid(gi[1] + gh[1]);
  const Var n = tanh(gi[2] + r * gh[2]);
  return (1.0 - z) * n + z * h;
}

// gates = W_ih x + b_ih + W_hh h + b_hh, split into i, f, g, o blocks of H
CellState lstm_cell(const Var& x, const CellState& state, const CellWeights& w) {
  const Var gates = linear(x, w.w_ih, w.b_ih) + linear(state.h, w.w_hh, w.b_hh);  // [B,4H]
  const std::vector<Var> g4 = chunk(gates, 4, 1);
  const Var i = sigmoid(g4[0]), f = sigmoid(g4[1]), g = tanh(g4[2]), o = sigmoid(g4[3]);
  const Var c = f * state.c + i * g;
  return {o * tanh(c), c};
}

CellState cell_step(CellKind kind, const Var& x, const CellState& state, const CellWeights& w) {
  switch (kind) {
    case CellKind::rnn_tanh:
      return {rnn_cell(x, state.h, w, false), {}};
    case CellKind::rnn_relu:
      return {rnn_cell(x, state.h, w, true), {}};
    case CellKind::gru:
      return {gru_cell(x, state.h, w), {}};
    case CellKind::lstm:
      return lstm_cell(x, state, w);
  }
  fail("cell_step: invalid cell kind");
}

// --- the cell modules ---

CellModule::CellModule(CellKind kind, std::int64_t input_size, std::int64_t hidden_size,
                       Generator& gen, DType dtype)
    : kind_(kind), input_size_(input_size), hidden_size_(hidden_size) {
  check(input_size > 0 && hidden_size > 0, cell_kind_name(kind),
        " cell: sizes must be positive, got input_size = ", input_size,
        ", hidden_size = ", hidden_size);
  const std::int64_t g = gate_count(kind) * hidden_size;
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  w_.w_ih =
      register_parameter("weight_ih", init::uniform_bound({g, input_size}, bound, gen, dtype));
  w_.w_hh =
      register_parameter("weight_hh", init::uniform_bound({g, hidden_size}, bound, gen, dtype));
  w_.b_ih = register_parameter("bias_ih", init::uniform_bound({g}, bound, gen, dtype));
  w_.b_hh = register_parameter("bias_hh", init::uniform_bound({g}, bound, gen, dtype));
}

CellState CellModule::step(const Var& x, const CellState& state) const {
  const std::string name = type_name();
  check(x.dim() == 2 && x.size(1) == input_size_, name, "(", input_size_, ", ", hidden_size_,
        "): input must be [B, ", input_size_, "], got ", ShapePrinter{x.shape()});
  const Shape hshape{x.size(0), hidden_size_};
  const auto state_or_zeros = [&](const Var& v, const char* what) {
    if (!v.defined()) return Var(zeros(hshape, w_.w_ih.dtype()));
    check(v.shape() == hshape, name, "(", input_size_, ", ", hidden_size_, "): ", what, " must be ",
          ShapePrinter{hshape}, " for input ", ShapePrinter{x.shape()}, ", got ",
          ShapePrinter{v.shape()});
    return v;
  };
  CellState s{state_or_zeros(state.h, "h"), {}};
  if (kind_ == CellKind::lstm) s.c = state_or_zeros(state.c, "c");
  return cell_step(kind_, x, s, w_);
}

RNNCell::RNNCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen,
                 std::string_view nonlinearity, DType dtype)
    : CellModule(nonlinearity == "relu" ? CellKind::rnn_relu : CellKind::rnn_tanh, input_size,
                 hidden_size, gen, dtype) {
  check(nonlinearity == "tanh" || nonlinearity == "relu",
        "RNNCell: nonlinearity must be \"tanh\" or \"relu\", got \"", nonlinearity, "\"");
}

Var RNNCell::forward(const Var& x, const Var& h) const { return step(x, {h, {}}).h; }

GRUCell::GRUCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, DType dtype)
    : CellModule(CellKind::gru, input_size, hidden_size, gen, dtype) {}

Var GRUCell::forward(const Var& x, const Var& h) const { return step(x, {h, {}}).h; }

LSTMCell::LSTMCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, DType dtype)
    : CellModule(CellKind::lstm, input_size, hidden_size, gen, dtype) {}

std::pair<Var, Var> LSTMCell::forward(const Var& x, const Var& h, const Var& c) const {
  const CellState s = step(x, {h, c});
  return {s.h, s.c};
}

}  // namespace wengert::nn
