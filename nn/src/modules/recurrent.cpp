// Recurrent: a stack of layers run over a whole sequence x [T,B,I] -> output [T,B,H]. Each layer
// runs either cell by cell (run_cell over a LayerCell: the readable reference) or as one fused
// tape entry (fused_recurrent_layer); both give the same values and gradients. run_stack is the
// layer loop shared with CellStack (user cells).
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

RecurrentOutput detail::run_stack(const std::string& who, std::size_t num_layers, const Var& x,
                                  const RecurrentState& s0, double dropout, bool training,
                                  Generator* gen, const LayerRunner& layer) {
  check(s0.h.size() == num_layers && (s0.c.empty() || s0.c.size() == num_layers), who,
        ": the state has ", s0.h.size(), " h and ", s0.c.size(), " c, expected one h per layer (",
        num_layers, ") and one c per layer or none");
  const bool drop = dropout > 0.0 && training && num_layers > 1;
  check(!drop || gen != nullptr, who, ": dropout ", dropout,
        " between layers is active in training mode: forward needs a Generator");
  RecurrentOutput out;
  Var input = x;
  for (std::size_t l = 0; l < num_layers; ++l) {
    if (l > 0 && drop) input = wengert::dropout(input, dropout, *gen, true);
    auto [hs, last] = layer(l, input, CellState{s0.h[l], s0.c.empty() ? Var() : s0.c[l]});
    input = hs;
    out.state.h.push_back(last.h);
    if (last.c.defined()) out.state.c.push_back(last.c);
  }
  out.output = input;
  return out;
}

Recurrent::Recurrent(CellKind kind, std::int64_t input_size, std::int64_t hidden_size,
                     std::int64_t num_layers, Generator& gen, double dropout, DType dtype)
    : kind_(kind),
      input_size_(input_size),
      hidden_size_(hidden_size),
      num_layers_(num_layers),
      dropout_(dropout),
      dtype_(dtype) {
  check(input_size > 0 && hidden_size > 0 && num_layers > 0, "Recurrent(", cell_kind_name(kind),
        "): sizes must be positive, got input_size = ", input_size, ", hidden_size = ", hidden_size,
        ", num_layers = ", num_layers);
  check(dropout >= 0.0 && dropout <= 1.0, "Recurrent(", cell_kind_name(kind),
        "): dropout must be in [0, 1], got ", dropout);
  check(is_floating(dtype), "Recurrent: dtype must be f32 or f64");
  const std::int64_t g = gate_count(kind) * hidden_size;
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  // PyTorch's order: all four tensors of layer 0, then layer 1, ... each ~ U(-1/sqrt(H),
  // 1/sqrt(H)).
  for (std::int64_t l = 0; l < num_layers; ++l) {
    const std::string k = std::to_string(l);
    const std::int64_t in = l == 0 ? input_size : hidden_size;
    CellWeights w;
    w.w_ih = register_parameter("weight_ih_l" + k, init::uniform_bound({g, in}, bound, gen, dtype));
    w.w_hh = register_parameter("weight_hh_l" + k,
                                init::uniform_bound({g, hidden_size}, bound, gen, dtype));
    w.b_ih = register_parameter("bias_ih_l" + k, init::uniform_bound({g}, bound, gen, dtype));
    w.b_hh = register_parameter("bias_hh_l" + k, init::uniform_bound({g}, bound, gen, dtype));
    layers_.push_back(w);
  }
}

std::string Recurrent::type_name() const {
  const char* name = kind_ == CellKind::gru ? "GRU" : kind_ == CellKind::lstm ? "LSTM" : "RNN";
  std::ostringstream out;
  out << name << "(I=" << input_size_ << ", H=" << hidden_size_ << ", layers=" << num_layers_;
  if (kind_ == CellKind::rnn_relu) out << ", relu";
  if (dropout_ > 0.0) out << ", dropout=" << dropout_;
  out << ")";
  return out.str();
}

RecurrentState Recurrent::initial_state(std::int64_t batch) const {
  RecurrentState s;
  for (std::int64_t l = 0; l < num_layers_; ++l) {
    s.h.emplace_back(zeros({batch, hidden_size_}, dtype_));
    if (kind_ == CellKind::lstm) s.c.emplace_back(zeros({batch, hidden_size_}, dtype_));
  }
  return s;
}

void Recurrent::check_input(const Var& x, const RecurrentState& state) const {
  const std::string name = type_name();
  if (x.dtype() == DType::i64) {
    check(x.dim() == 2 && x.size(0) > 0 && x.size(1) > 0, name,
          ": token ids must be [T, B] with T, B > 0, got ", ShapePrinter{x.shape()});
  } else {
    check(x.dim() == 3 && x.size(0) > 0 && x.size(1) > 0 && x.size(2) == input_size_, name,
          ": input must be [T, B, ", input_size_, "] with T, B > 0, got ", ShapePrinter{x.shape()});
    check(x.dtype() == dtype_, name, ": input dtype ", dtype_name(x.dtype()),
          " differs from the weights' ", dtype_name(dtype_));
  }
  if (state.empty()) return;
  const Shape hshape{x.size(1), hidden_size_};
  const auto check_list = [&](const std::vector<Var>& vs, const char* what) {
    check(static_cast<std::int64_t>(vs.size()) == num_layers_, name, ": state.", what, " has ",
          vs.size(), " entries, expected one per layer (", num_layers_, ")");
    for (std::size_t l = 0; l < vs.size(); ++l)
      if (!vs[l].defined() || vs[l].shape() != hshape)
        fail(name, ": state.", what, "[", l, "] must be ", shape_str(hshape), " for input ",
             shape_str(x.shape()), ", got ",
             vs[l].defined() ? shape_str(vs[l].shape()) : std::string("undefined"));
  };
  check_list(state.h, "h");
  if (kind_ == CellKind::lstm)
    check_list(state.c, "c");
  else
    check(state.c.empty(), name, ": state.c must be empty (only the LSTM has a cell state)");
}

Recurrent::Output Recurrent::forward(const Var& x, const RecurrentState& state,
                                     Generator& gen) const {
  return run(x, state, &gen);
}

Recurrent::Output Recurrent::forward(const Var& x, const RecurrentState& state) const {
  return run(x, state, nullptr);
}

Recurrent::Output Recurrent::run(const Var& x, const RecurrentState& state, Generator* gen) const {
  check_input(x, state);
  const RecurrentState s0 = state.empty() ? initial_state(x.size(1)) : state;
  const bool lstm = kind_ == CellKind::lstm;
  const std::int64_t steps = x.size(0);
  // [T,B,I] for layer 0, then [T,B,H]. Token ids [T,B] stand for one-hot rows: the fused layer
  // gathers columns of w_ih for them; the composed reference multiplies real one-hot rows.
  const Var input =
      x.dtype() == DType::i64 && !fused ? Var(one_hot(x.value(), input_size_, dtype_)) : x;
  return detail::run_stack(
      type_name(), static_cast<std::size_t>(num_layers_), input, s0, dropout_, is_training(), gen,
      [&](std::size_t l, const Var& in, CellState s) -> std::pair<Var, CellState> {
        const CellWeights& w = layers_[l];
        if (!fused) return run_cell(LayerCell{kind_, w}, in, std::move(s));
        // One tape entry; for the LSTM the result has one extra row: c_T.
        const Var y = fused_recurrent_layer(kind_, in, s.h, s.c, w.w_ih, w.w_hh, w.b_ih, w.b_hh);
        if (!lstm) return {y, CellState{select(y, 0, steps - 1), Var()}};
        return {slice(y, 0, 0, steps), CellState{select(y, 0, steps - 1), select(y, 0, steps)}};
      });
}

RNN::RNN(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers, Generator& gen,
         std::string_view nonlinearity, double dropout, DType dtype)
    : Recurrent(
          [&] {
            check(nonlinearity == "tanh" || nonlinearity == "relu",
                  "RNN: nonlinearity must be \"tanh\" or \"relu\", got \"", nonlinearity, "\"");
            return nonlinearity == "relu" ? CellKind::rnn_relu : CellKind::rnn_tanh;
          }(),
          input_size, hidden_size, num_layers, gen, dropout, dtype) {}

GRU::GRU(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers, Generator& gen,
         double dropout, DType dtype)
    : Recurrent(CellKind::gru, input_size, hidden_size, num_layers, gen, dropout, dtype) {}

LSTM::LSTM(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers,
           Generator& gen, double dropout, DType dtype)
    : Recurrent(CellKind::lstm, input_size, hidden_size, num_layers, gen, dropout, dtype) {}

}  // namespace wengert::nn
