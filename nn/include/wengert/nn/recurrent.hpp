// Recurrent layers. The cells (RNNCell, GRUCell, LSTMCell) are a few readable lines of autograd
// ops each (recurrent_cells.cpp); Recurrent runs a stack of layers over a whole sequence, either
// cell by cell (the readable reference) or, when `fused`, one tape entry per layer and direction
// with a hand-written BPTT (fused_recurrent.hpp). CellStack runs a stack of any cell module
// modelling `StackableCell` (a user's own cell) the same way as the readable path, with the same
// dropout between layers and state carry. Names, shapes, gate order, init, the options (bias,
// batch_first, bidirectional) and the state layout follow PyTorch, so weights and states move
// between the two: GRU gates r,z,n; LSTM gates i,f,g,o.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <wengert/tensor/enum_names.hpp>

#include "module.hpp"

namespace wengert::nn {

// The built-in cells of a recurrent layer.
enum class CellKind { rnn_tanh, rnn_relu, gru, lstm };

// Gate blocks of H rows in w_ih / w_hh: 1 (rnn), 3 (gru: r, z, n), 4 (lstm: i, f, g, o).
constexpr int gate_count(CellKind kind) {
  return kind == CellKind::gru ? 3 : kind == CellKind::lstm ? 4 : 1;
}

// A reweighting of the backward through time (the unbiased randomized truncation of
// lm/truncation.hpp), for the fused layer: the gradient of the state entering run step
// s >= from_step (h, and c for LSTM; h0 / c0 when from_step == 0) is multiplied by factor as it
// crosses into step s - 1, so the factors of several crossings multiply. Outputs are unchanged;
// the default scales nothing.
struct StateGradientScale {
  std::int64_t from_step = 0;
  double factor = 1.0;
  bool scales() const { return factor != 1.0; }
};

// The cell kinds' names: the first of each kind is the one cell_kind_name gives; the others are
// accepted aliases (the CLI lists them all in --help).
inline constexpr EnumName<CellKind> kCellKindNames[] = {
    {CellKind::rnn_tanh, "rnn_tanh"}, {CellKind::rnn_tanh, "rnn"},  {CellKind::rnn_tanh, "tanh"},
    {CellKind::rnn_relu, "rnn_relu"}, {CellKind::rnn_relu, "relu"}, {CellKind::gru, "gru"},
    {CellKind::lstm, "lstm"}};
CellKind parse_cell_kind(std::string_view name);  // any name of kCellKindNames
std::string_view cell_kind_name(CellKind kind);   // "rnn_tanh", ...

// The state of a whole stack, laid out as PyTorch's h_n / c_n: h [L * D, B, H] where row l * D + d
// is layer l, direction d (0 forward, 1 reverse; D = 2 for bidirectional layers, else 1); c the
// same, for the LSTM only (else undefined). Layer l's h is select(h, 0, l * D + d).
struct RecurrentState {
  Var h, c;
  bool empty() const { return !h.defined() && !c.defined(); }
  RecurrentState detach() const;  // detach both Vars (truncated BPTT)
};

struct RecurrentOutput {
  Var output;            // [T,B,D*H] ([B,T,D*H] when batch_first): every step of the last layer
  RecurrentState state;  // each layer's and direction's final h (and c)
};

// One cell's weights in PyTorch's layout: w_ih [G*H, I], w_hh [G*H, H], b_ih [G*H], b_hh [G*H]
// (G the gate count: 1 rnn, 3 gru, 4 lstm).
struct CellWeights {
  Var w_ih, w_hh, b_ih, b_hh;
};

// The state a cell carries from one step to the next (c is undefined except for the LSTM).
struct CellState {
  Var h, c;
};

// --- the cell equations, on x [B,I], h [B,H], c [B,H] ---
// h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu
Var rnn_cell(const Var& x, const Var& h, const CellWeights& w, bool relu = false);
// r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
// n = tanh(W_in x + b_in + r * (W_hn h + b_hn))     h' = (1 - z) * n + z * h
Var gru_cell(const Var& x, const Var& h, const CellWeights& w);
// i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of the four blocks of W_ih x + b_ih + W_hh h + b_hh
// c' = f * c + i * g     h' = o * tanh(c')
CellState lstm_cell(const Var& x, const CellState& state, const CellWeights& w);
// Dispatches on kind (the composed path of Recurrent).
CellState cell_step(CellKind kind, const Var& x, const CellState& state, const CellWeights& w);

// Anything that advances a CellState by one input step.
template <class C>
concept Cell = requires(const C& cell, const Var& x, const CellState& s) {
  { cell.step(x, s) } -> std::convertible_to<CellState>;
};

// Runs a cell over x [T,B,I] from `state`, from t = 0 up (or from t = T - 1 down when
// `reverse`): returns the hidden states [T,B,H] in time order and the final state.
template <Cell C>
std::pair<Var, CellState> run_cell(const C& cell, const Var& x, CellState state,
                                   bool reverse = false) {
  const std::int64_t steps = x.size(0);
  std::vector<Var> hs(static_cast<std::size_t>(steps));
  for (std::int64_t s = 0; s < steps; ++s) {
    const std::int64_t t = reverse ? steps - 1 - s : s;
    state = cell.step(select(x, 0, t), state);
    hs[static_cast<std::size_t>(t)] = state.h;
  }
  return {stack(hs, 0), state};
}

// A cell a stack can hold: a Module with step() and hidden_size(). It gets an undefined c when
// the stack starts from zeros (treat it as zeros, or leave c undefined if the cell has none).
template <class C>
concept StackableCell = Cell<C> && std::derived_from<C, Module> && requires(const C& cell) {
  { cell.hidden_size() } -> std::convertible_to<std::int64_t>;
};

namespace detail {
// One layer over the whole input: (layer index, input [T,B,*]) -> output [T,B,*]; the runner
// keeps the layer's final states itself.
using LayerRunner = std::function<Var(std::size_t, const Var&)>;
// The stack loop shared by Recurrent and CellStack: layer l's outputs are layer l+1's inputs, with
// dropout (p, training only; gen must then be non-null, else the error names `who`) between
// layers. Returns the last layer's output.
Var run_stack(const std::string& who, std::size_t num_layers, const Var& x, double dropout,
              bool training, Generator* gen, const LayerRunner& layer);
// Checks a stack's state against [rows, batch, hidden] (h, and c when `with_c`; c must be
// undefined otherwise); `who` names the layer in the error.
void check_state(const std::string& who, const RecurrentState& state, std::int64_t rows,
                 std::int64_t batch, std::int64_t hidden, bool with_c);
}  // namespace detail

// Base of the three cell modules: parameters weight_ih [G*H,I], weight_hh [G*H,H],
// bias_ih [G*H], bias_hh [G*H], all ~ U(-1/sqrt(H), 1/sqrt(H)).
class CellModule : public Module {
 public:
  CellKind kind() const { return kind_; }
  std::int64_t input_size() const { return input_size_; }
  std::int64_t hidden_size() const { return hidden_size_; }
  const CellWeights& weights() const { return w_; }
  // One step; an undefined h (or c) means zeros.
  CellState step(const Var& x, const CellState& state) const;

 protected:
  CellModule(CellKind kind, std::int64_t input_size, std::int64_t hidden_size, Generator& gen,
             DType dtype);

 private:
  CellKind kind_;
  std::int64_t input_size_, hidden_size_;
  CellWeights w_;
};

class RNNCell : public CellModule {
 public:
  RNNCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen,
          std::string_view nonlinearity = "tanh", DType dtype = DType::f32);
  Var forward(const Var& x, const Var& h) const;  // x [B,I], h [B,H] -> h' [B,H]
};

class GRUCell : public CellModule {
 public:
  GRUCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen,
          DType dtype = DType::f32);
  Var forward(const Var& x, const Var& h) const;  // x [B,I], h [B,H] -> h' [B,H]
};

class LSTMCell : public CellModule {
 public:
  LSTMCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen,
           DType dtype = DType::f32);
  // x [B,I], h [B,H], c [B,H] -> {h', c'}
  std::pair<Var, Var> forward(const Var& x, const Var& h, const Var& c) const;
};

// The options of a recurrent layer, as PyTorch's keyword arguments:
//   GRU gru(I, H, 2, gen, {.dropout = 0.1, .bidirectional = true});
struct RecurrentOptions {
  double dropout = 0.0;        // between layers, training only
  bool bias = true;            // false: no bias_ih / bias_hh parameters (PyTorch's bias=False)
  bool batch_first = false;    // input and output [B, T, *] instead of [T, B, *]; states unchanged
  bool bidirectional = false;  // D = 2: each layer also runs from t = T - 1 down (the "_reverse"
                               // weights), output [T, B, 2H] = [forward, reverse] per step
  DType dtype = DType::f32;
};

// A multi-layer RNN / GRU / LSTM over a whole sequence. Parameters named exactly like PyTorch,
// per layer k: weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (no biases when
// !bias), and the same with a "_reverse" suffix for the reverse direction of a bidirectional
// layer; a PyTorch state_dict loads as it is. weight_ih_l{k} is [G*H, I] for k = 0, [G*H, D*H]
// above.
class Recurrent : public Module {
 public:
  Recurrent(CellKind kind, std::int64_t input_size, std::int64_t hidden_size,
            std::int64_t num_layers, Generator& gen, const RecurrentOptions& options = {});

  using Output = RecurrentOutput;
  // x [T,B,I] ([B,T,I] when batch_first), or i64 token ids [T,B] ([B,T]) standing for one-hot
  // rows of I = input_size() (the fused layer never builds them: it gathers columns of w_ih).
  // state: h (and c for the LSTM) [L*D, B, H] as PyTorch's; an empty state means zeros. Layer l's
  // outputs are layer l+1's inputs, with dropout (training only) between layers. When
  // batch_first, the input is copied to time-major once and the output is a transposed view.
  Output forward(const Var& x, const RecurrentState& state, Generator& gen) const;
  // The same with the state gradients of every layer and direction reweighted, in one pass over
  // the sequence (fused only: throws when fused is false and scale scales).
  Output forward(const Var& x, const RecurrentState& state, Generator& gen,
                 const StateGradientScale& scale) const;
  // Without a Generator: throws when dropout is active (dropout > 0, training, several layers).
  Output forward(const Var& x, const RecurrentState& state = {}) const;
  RecurrentState initial_state(std::int64_t batch) const;  // zeros [L*D, B, H]

  CellKind kind() const { return kind_; }
  std::int64_t input_size() const { return input_size_; }
  std::int64_t hidden_size() const { return hidden_size_; }
  std::int64_t num_layers() const { return num_layers_; }
  std::int64_t directions() const { return options_.bidirectional ? 2 : 1; }  // D
  const RecurrentOptions& options() const { return options_; }
  double dropout() const { return options_.dropout; }
  // The weights' dtype: options().dtype as constructed, until Module::to converts them.
  DType dtype() const { return layers_.front().w_ih.dtype(); }
  // Layer l's weights in direction d (0 forward, 1 reverse); b_ih, b_hh undefined when !bias.
  const CellWeights& layer(std::int64_t l, std::int64_t d = 0) const {
    return layers_.at(static_cast<std::size_t>(l * directions() + d));
  }
  // e.g. "LSTM(I=16, H=32, layers=2)", "GRU(I=8, H=4, layers=1, bidirectional, no bias)"
  std::string type_name() const override;

  bool fused = true;  // true: one tape entry per layer and direction (fused_recurrent.hpp)
                      // false: cell by cell

 private:
  void check_input(const Var& x, const RecurrentState& state) const;
  Output run(const Var& x, const RecurrentState& state, Generator* gen,
             const StateGradientScale& scale = {}) const;

  CellKind kind_;
  std::int64_t input_size_, hidden_size_, num_layers_;
  RecurrentOptions options_;
  std::vector<CellWeights> layers_;  // [l * D + d]
};

class RNN : public Recurrent {
 public:
  RNN(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers, Generator& gen,
      std::string_view nonlinearity = "tanh", const RecurrentOptions& options = {});
};

class GRU : public Recurrent {
 public:
  GRU(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers, Generator& gen,
      const RecurrentOptions& options = {});
};

class LSTM : public Recurrent {
 public:
  LSTM(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers, Generator& gen,
       const RecurrentOptions& options = {});
};

// A stack of cell modules of one type C (a user's own, or GRUCell / LSTMCell / RNNCell), run
// cell by cell like Recurrent's readable path. The layers are children "l0", "l1", ...; layer l+1's
// input size is layer l's hidden size (the caller builds them so), and all layers have the same
// hidden size H, so that the state is one [L, B, H] tensor as Recurrent's.
//   auto stack = std::make_shared<nn::CellStack<MyCell>>(
//       std::vector{std::make_shared<MyCell>(I, H, gen), std::make_shared<MyCell>(H, H, gen)},
//       0.2);
template <StackableCell C>
class CellStack : public Module {
 public:
  explicit CellStack(std::vector<std::shared_ptr<C>> layers, double dropout = 0.0)
      : layers_(std::move(layers)), dropout_(dropout) {
    check(!layers_.empty(), "CellStack: needs at least one layer");
    check(dropout >= 0.0 && dropout <= 1.0, "CellStack: dropout must be in [0, 1], got ", dropout);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      check(layers_[l]->hidden_size() == layers_[0]->hidden_size(), "CellStack: layer ", l,
            " has hidden size ", layers_[l]->hidden_size(), ", layer 0 has ",
            layers_[0]->hidden_size(), " (the state is one [L, B, H] tensor)");
      register_module(std::to_string(l).insert(0, 1, 'l'), layers_[l]);
    }
  }
  // x [T,B,I]; state h (and c if the cells carry one) [L,B,H]; an empty state means h = zeros and
  // c undefined. As Recurrent::forward.
  RecurrentOutput forward(const Var& x, const RecurrentState& state, Generator& gen) const {
    return run(x, state, &gen);
  }
  RecurrentOutput forward(const Var& x, const RecurrentState& state = {}) const {
    return run(x, state, nullptr);
  }
  std::size_t num_layers() const { return layers_.size(); }
  const std::shared_ptr<C>& layer(std::size_t l) const { return layers_.at(l); }
  double dropout() const { return dropout_; }

 private:
  RecurrentOutput run(const Var& x, const RecurrentState& state, Generator* gen) const {
    check(x.dim() == 3 && x.size(0) > 0, "CellStack: input must be [T, B, I] with T > 0, got ",
          ShapePrinter{x.shape()});
    const auto L = static_cast<std::int64_t>(layers_.size());
    const std::int64_t H = layers_[0]->hidden_size();
    if (!state.empty()) detail::check_state("CellStack", state, L, x.size(1), H, state.c.defined());
    std::vector<Var> hs, cs;
    const Var y =
        detail::run_stack("CellStack", layers_.size(), x, dropout_, is_training(), gen,
                          [&](std::size_t l, const Var& input) {
                            const auto i = static_cast<std::int64_t>(l);
                            CellState s0{state.h.defined() ? select(state.h, 0, i)
                                                           : Var(zeros({x.size(1), H}, x.dtype())),
                                         state.c.defined() ? select(state.c, 0, i) : Var()};
                            auto [out, last] = run_cell(*layers_[l], input, std::move(s0));
                            hs.push_back(last.h);
                            if (last.c.defined()) cs.push_back(last.c);
                            return out;
                          });
    check(cs.empty() || cs.size() == layers_.size(), "CellStack: ", cs.size(), " of ",
          layers_.size(), " layers returned a cell state c (all or none must)");
    return {y, {stack(hs, 0), cs.empty() ? Var() : stack(cs, 0)}};
  }

  std::vector<std::shared_ptr<C>> layers_;
  double dropout_;
};

}  // namespace wengert::nn
