// Recurrent: a stack of layers run over a whole sequence x [T,B,I] -> output [T,B,D*H]. Each
// layer and direction runs either cell by cell (run_cell over a LayerCell: the readable reference)
// or as one fused tape entry (fused_recurrent_layer); both give the same values and gradients.
// run_stack is the layer loop shared with CellStack (user cells).
#include <cmath>
#include <sstream>
#include <wengert/nn/fused_recurrent.hpp>
#include <wengert/nn/init.hpp>
#include <wengert/nn/recurrent.hpp>

namespace wengert::nn {

namespace {
// One layer's weights viewed as a Cell, for run_cell.
struct LayerCell {
  CellKind kind;
  const CellWeights& w;
  CellState step(const Var& x, const CellState& s) const { return cell_step(kind, x, s, w); }
};
static_assert(Cell<LayerCell>);
}  // namespace

Var detail::run_stack(const std::string& who, std::size_t num_layers, const Var& x, double dropout,
                      bool training, Generator* gen, const LayerRunner& layer) {
  const bool drop = dropout > 0.0 && training && num_layers > 1;
  check(!drop || gen != nullptr, who, ": dropout ", dropout,
        " between layers is active in training mode: forward needs a Generator");
  Var input = x;
  for (std::size_t l = 0; l < num_layers; ++l) {
    if (l > 0 && drop) input = wengert::dropout(input, dropout, *gen, true);
    input = layer(l, input);
  }
  return input;
}

void detail::check_state(const std::string& who, const RecurrentState& state, std::int64_t rows,
                         std::int64_t batch, std::int64_t hidden, bool with_c) {
  const Shape expected{rows, batch, hidden};
  const auto check_one = [&](const Var& v, const char* what) {
    check(v.defined() && v.shape() == expected, who, ": state.", what, " must be ",
          ShapePrinter{expected}, " ([layers * directions, batch, hidden]), got ",
          v.defined() ? shape_str(v.shape()) : std::string("undefined"));
  };
  check_one(state.h, "h");
  if (with_c)
    check_one(state.c, "c");
  else
    check(!state.c.defined(), who, ": state.c must be undefined (only the LSTM has a cell state)");
}

Recurrent::Recurrent(CellKind kind, std::int64_t input_size, std::int64_t hidden_size,
                     std::int64_t num_layers, Generator& gen, const RecurrentOptions& options)
    : kind_(kind),
      input_size_(input_size),
      hidden_size_(hidden_size),
      num_layers_(num_layers),
      options_(options) {
  check(input_size > 0 && hidden_size > 0 && num_layers > 0, "Recurrent(", cell_kind_name(kind),
        "): sizes must be positive, got input_size = ", input_size, ", hidden_size = ", hidden_size,
        ", num_layers = ", num_layers);
  check(options.dropout >= 0.0 && options.dropout <= 1.0, "Recurrent(", cell_kind_name(kind),
        "): dropout must be in [0, 1], got ", options.dropout);
  check(is_floating(options.dtype), "Recurrent: dtype must be f32 or f64");
  const DType dtype = options.dtype;
  const std::int64_t g = gate_count(kind) * hidden_size, D = directions();
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  // PyTorch's order: layer 0 forward, layer 0 reverse, layer 1 forward, ...; within each the
  // tensors w_ih, w_hh, b_ih, b_hh, all ~ U(-1/sqrt(H), 1/sqrt(H)).
  for (std::int64_t l = 0; l < num_layers; ++l) {
    const std::int64_t in = l == 0 ? input_size : D * hidden_size;
    for (std::int64_t d = 0; d < D; ++d) {
      const std::string k = std::to_string(l) + (d == 1 ? "_reverse" : "");
      CellWeights w;
      w.w_ih =
          register_parameter("weight_ih_l" + k, init::uniform_bound({g, in}, bound, gen, dtype));
      w.w_hh = register_parameter("weight_hh_l" + k,
                                  init::uniform_bound({g, hidden_size}, bound, gen, dtype));
      if (options.bias) {
        w.b_ih = register_parameter("bias_ih_l" + k, init::uniform_bound({g}, bound, gen, dtype));
        w.b_hh = register_parameter("bias_hh_l" + k, init::uniform_bound({g}, bound, gen, dtype));
      }
      layers_.push_back(w);
    }
  }
}

std::string Recurrent::type_name() const {
  const char* name = kind_ == CellKind::gru ? "GRU" : kind_ == CellKind::lstm ? "LSTM" : "RNN";
  std::ostringstream out;
  out << name << "(I=" << input_size_ << ", H=" << hidden_size_ << ", layers=" << num_layers_;
  if (kind_ == CellKind::rnn_relu) out << ", relu";
  if (options_.dropout > 0.0) out << ", dropout=" << options_.dropout;
  if (options_.bidirectional) out << ", bidirectional";
  if (!options_.bias) out << ", no bias";
  if (options_.batch_first) out << ", batch_first";
  out << ")";
  return out.str();
}

RecurrentState Recurrent::initial_state(std::int64_t batch) const {
  const Shape shape{num_layers_ * directions(), batch, hidden_size_};
  RecurrentState s;
  s.h = Var(zeros(shape, dtype()));
  if (kind_ == CellKind::lstm) s.c = Var(zeros(shape, dtype()));
  return s;
}

void Recurrent::check_input(const Var& x, const RecurrentState& state) const {
  const std::string name = type_name();
  const char* order = options_.batch_first ? "[B, T" : "[T, B";
  if (x.dtype() == DType::i64) {
    check(x.dim() == 2 && x.size(0) > 0 && x.size(1) > 0, name, ": token ids must be ", order,
          "] with T, B > 0, got ", ShapePrinter{x.shape()});
  } else {
    check(x.dim() == 3 && x.size(0) > 0 && x.size(1) > 0 && x.size(2) == input_size_, name,
          ": input must be ", order, ", ", input_size_, "] with T, B > 0, got ",
          ShapePrinter{x.shape()});
    check(x.dtype() == dtype(), name, ": input dtype ", dtype_name(x.dtype()),
          " differs from the weights' ", dtype_name(dtype()));
  }
  if (state.empty()) return;
  detail::check_state(name, state, num_layers_ * directions(), x.size(options_.batch_first ? 0 : 1),
                      hidden_size_, kind_ == CellKind::lstm);
}

Recurrent::Output Recurrent::forward(const Var& x, const RecurrentState& state,
                                     Generator& gen) const {
  return run(x, state, &gen);
}

Recurrent::Output Recurrent::forward(const Var& x, const RecurrentState& state, Generator& gen,
                                     const StateGradientScale& scale) const {
  check(fused || !scale.scales(), type_name(),
        ": a StateGradientScale needs the fused layer (fused = true); cell by cell, scale the "
        "state between steps instead (lm::scale_gradient)");
  return run(x, state, &gen, scale);
}

Recurrent::Output Recurrent::forward(const Var& x, const RecurrentState& state) const {
  return run(x, state, nullptr);
}

Recurrent::Output Recurrent::run(const Var& x, const RecurrentState& state, Generator* gen,
                                 const StateGradientScale& scale) const {
  check_input(x, state);
  const bool lstm = kind_ == CellKind::lstm;
  // Time-major inside: batch_first input is transposed (the fused layer copies it contiguous).
  Var input = options_.batch_first ? transpose(x, 0, 1) : x;
  const std::int64_t steps = input.size(0), D = directions();
  // Token ids [T,B] stand for one-hot rows: the fused layer gathers columns of w_ih for them;
  // the composed reference multiplies real one-hot rows.
  if (input.dtype() == DType::i64 && !fused)
    input = Var(one_hot(input.value(), input_size_, dtype()));
  const RecurrentState s0 = state.empty() ? initial_state(input.size(1)) : state;
  std::vector<Var> h_n, c_n;  // [l * D + d]
  // One direction of one layer: ([T,B,H], final state).
  const auto run_direction = [&](const CellWeights& w, bool reverse, const Var& in,
                                 CellState s) -> std::pair<Var, CellState> {
    if (!fused) return run_cell(LayerCell{kind_, w}, in, std::move(s), reverse);
    // One tape entry; for the LSTM the result has one extra row: the final c.
    const Var y =
        fused_recurrent_layer(kind_, in, s.h, s.c, w.w_ih, w.w_hh, w.b_ih, w.b_hh, reverse, scale);
    const Var h_last = select(y, 0, reverse ? 0 : steps - 1);
    if (!lstm) return {y, CellState{h_last, Var()}};
    return {slice(y, 0, 0, steps), CellState{h_last, select(y, 0, steps)}};
  };
  // Every direction of layer l from its rows of s0; the outputs side by side: [T,B,D*H].
  const auto run_layer = [&](std::size_t l, const Var& in) {
    std::vector<Var> outs;  // [forward, reverse]
    for (std::int64_t d = 0; d < D; ++d) {
      const std::int64_t row = static_cast<std::int64_t>(l) * D + d;
      CellState s{select(s0.h, 0, row), lstm ? select(s0.c, 0, row) : Var()};
      auto [hs, last] = run_direction(layers_[static_cast<std::size_t>(row)], d == 1, in, s);
      outs.push_back(hs);
      h_n.push_back(last.h);
      if (lstm) c_n.push_back(last.c);
    }
    return D == 1 ? outs[0] : concat(outs, 2);
  };
  const Var y = detail::run_stack(type_name(), static_cast<std::size_t>(num_layers_), input,
                                  options_.dropout, is_training(), gen, run_layer);
  return {options_.batch_first ? transpose(y, 0, 1) : y,
          RecurrentState{stack(h_n, 0), lstm ? stack(c_n, 0) : Var()}};
}

RNN::RNN(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers, Generator& gen,
         std::string_view nonlinearity, const RecurrentOptions& options)
    : Recurrent(
          [&] {
            check(nonlinearity == "tanh" || nonlinearity == "relu",
                  "RNN: nonlinearity must be \"tanh\" or \"relu\", got \"", nonlinearity, "\"");
            return nonlinearity == "relu" ? CellKind::rnn_relu : CellKind::rnn_tanh;
          }(),
          input_size, hidden_size, num_layers, gen, options) {}

GRU::GRU(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers, Generator& gen,
         const RecurrentOptions& options)
    : Recurrent(CellKind::gru, input_size, hidden_size, num_layers, gen, options) {}

LSTM::LSTM(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers,
           Generator& gen, const RecurrentOptions& options)
    : Recurrent(CellKind::lstm, input_size, hidden_size, num_layers, gen, options) {}

}  // namespace wengert::nn
