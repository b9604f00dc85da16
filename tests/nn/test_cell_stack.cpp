// CellStack: a stack of cell modules (built-in or a user's own) run like Recurrent's readable
// path. Checked against Recurrent (same weights: values, gradients, dropout between layers, state
// carry) and against a hand-written loop for a user cell; forward without a Generator.
#include <catch2/catch.hpp>
#include <memory>
#include <wengert/nn.hpp>

using namespace wengert;
using namespace wengert::nn;
using Catch::Contains;

namespace {
// A user cell without a cell state: h' = (1 - f) * h + f * tanh(W x + U (f * h)),
// f = sigmoid(Wf x + Uf h + bf) (a minimal gated unit).
struct MinimalGated : Module {
  std::shared_ptr<Linear> wf, uf, w, u;
  std::int64_t hidden;
  MinimalGated(std::int64_t in, std::int64_t h, Generator& gen)
      : wf(register_module("wf", std::make_shared<Linear>(in, h, gen, true, DType::f64))),
        uf(register_module("uf", std::make_shared<Linear>(h, h, gen, false, DType::f64))),
        w(register_module("w", std::make_shared<Linear>(in, h, gen, true, DType::f64))),
        u(register_module("u", std::make_shared<Linear>(h, h, gen, false, DType::f64))),
        hidden(h) {}
  std::int64_t hidden_size() const { return hidden; }
  CellState step(const Var& x, const CellState& s) const {
    const Var f = sigmoid(wf->forward(x) + uf->forward(s.h));
    const Var cand = tanh(w->forward(x) + u->forward(f * s.h));
    return {(1.0 - f) * s.h + f * cand, Var()};
  }
};
static_assert(StackableCell<MinimalGated>);
static_assert(StackableCell<GRUCell>);

// Copies a Recurrent's layer weights into a stack of built-in cells.
template <class C>
void copy_weights(const Recurrent& rnn, const CellStack<C>& stack) {
  for (std::size_t l = 0; l < stack.num_layers(); ++l) {
    const CellWeights& w = rnn.layer(static_cast<std::int64_t>(l));
    stack.layer(l)->load_state_dict({{"weight_ih", w.w_ih.value()},
                                     {"weight_hh", w.w_hh.value()},
                                     {"bias_ih", w.b_ih.value()},
                                     {"bias_hh", w.b_hh.value()}});
  }
}
}  // namespace

TEST_CASE("CellStack of LSTMCells equals the composed and fused LSTM, dropout and state included",
          "[cell_stack]") {
  Generator gen(11);
  LSTM rnn(3, 4, 2, gen, {.dropout = 0.3, .dtype = DType::f64});
  CellStack<LSTMCell> stack({std::make_shared<LSTMCell>(3, 4, gen, DType::f64),
                             std::make_shared<LSTMCell>(4, 4, gen, DType::f64)},
                            0.3);
  copy_weights(rnn, stack);
  const Tensor x = normal({5, 2, 3}, 0, 1, gen, DType::f64);
  const RecurrentState s0{Var(normal({2, 2, 4}, 0, 1, gen, DType::f64)),
                          Var(normal({2, 2, 4}, 0, 1, gen, DType::f64))};
  for (const bool fused : {false, true}) {
    INFO("fused " << fused);
    rnn.fused = fused;
    Generator ga(5), gb(5);  // the same dropout masks
    const Var xa(x, true), xb(x, true);
    const auto a = rnn.forward(xa, s0, ga);
    const auto b = stack.forward(xb, s0, gb);
    CHECK(max_abs_diff(a.output.value(), b.output.value()) < 1e-12);
    REQUIRE(b.state.c.shape() == Shape{2, 2, 4});
    CHECK(max_abs_diff(a.state.h.value(), b.state.h.value()) < 1e-12);
    CHECK(max_abs_diff(a.state.c.value(), b.state.c.value()) < 1e-12);
    rnn.zero_grad();
    stack.zero_grad();
    sum(a.output * a.output).backward();
    sum(b.output * b.output).backward();
    CHECK(max_abs_diff(xa.grad(), xb.grad()) < 1e-12);
    CHECK(max_abs_diff(rnn.layer(1).w_hh.grad(), stack.layer(1)->weights().w_hh.grad()) < 1e-12);
  }
}

TEST_CASE("CellStack runs a user cell like a hand-written loop and passes gradcheck",
          "[cell_stack]") {
  Generator gen(12);
  auto l0 = std::make_shared<MinimalGated>(3, 4, gen);
  auto l1 = std::make_shared<MinimalGated>(4, 4, gen);
  CellStack<MinimalGated> stack({l0, l1});
  CHECK(stack.named_parameters()[0].first == "l0.wf.weight");
  const Var x(normal({4, 2, 3}, 0, 1, gen, DType::f64));
  const auto out = stack.forward(x);  // no dropout: no Generator needed
  // By hand: zeros initial state, layer 0 over all steps, then layer 1.
  Var h0(zeros({2, 4}, DType::f64)), h1(zeros({2, 4}, DType::f64));
  for (std::int64_t t = 0; t < 4; ++t) {
    h0 = l0->step(select(x, 0, t), {h0, Var()}).h;
    h1 = l1->step(h0, {h1, Var()}).h;
    CHECK(max_abs_diff(select(out.output, 0, t).value(), h1.value()) < 1e-14);
  }
  CHECK(!out.state.c.defined());
  CHECK(max_abs_diff(out.state.h.value()[0], h0.value()) < 1e-14);
  CHECK(max_abs_diff(out.state.h.value()[1], h1.value()) < 1e-14);

  const auto r = gradcheck([&](const std::vector<Var>& in) { return stack.forward(in[0]).output; },
                           {normal({3, 2, 3}, 0, 1, gen, DType::f64)});
  INFO(r.report());
  CHECK(r);

  // Dropout between layers in training mode needs a Generator; eval mode does not.
  CellStack<MinimalGated> dropped({l0, l1}, 0.5);
  CHECK_THROWS_WITH(dropped.forward(x), Contains("CellStack") && Contains("Generator"));
  dropped.eval();
  CHECK(max_abs_diff(dropped.forward(x).output.value(), out.output.value()) == 0.0);
  CHECK_THROWS_WITH(stack.forward(x, RecurrentState{unsqueeze(h0, 0), Var()}),
                    Contains("CellStack") && Contains("state.h must be [2, 2, 4]"));
  CHECK_THROWS_WITH(CellStack<MinimalGated>({l0, std::make_shared<MinimalGated>(4, 5, gen)}),
                    Contains("layer 1 has hidden size 5"));
}

TEST_CASE("Recurrent::forward needs no Generator unless dropout is active", "[cell_stack]") {
  Generator gen(13);
  GRU gru(3, 4, 2, gen, {.dropout = 0.2});
  const Var x(normal({3, 2, 3}, 0, 1, gen));
  CHECK_THROWS_WITH(gru.forward(x), Contains("GRU") && Contains("dropout 0.2"));
  gru.eval();
  Generator unused(1);
  CHECK(max_abs_diff(gru.forward(x).output.value(), gru.forward(x, {}, unused).output.value()) ==
        0.0);
  GRU plain(3, 4, 2, gen);
  CHECK(plain.forward(x).output.shape() == Shape{3, 2, 4});
}
