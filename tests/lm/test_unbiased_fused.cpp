// The unbiased randomized truncation through the fused layers: nn::StateGradientScale (the
// reweighting inside the fused backward, one pass over the sequence) against the composition it
// replaces in LanguageModel::forward: the same Recurrent cell by cell (fused = false), the plain
// steps as one sequence, then one step at a time with the state passed through
// lm::scale_gradient before each. f64, 2 layers, every cell kind; the values and the gradients of
// every weight, of the input and of the initial state must agree to ~1e-12.
#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include <wengert/autograd.hpp>
#include <wengert/lm/truncation.hpp>
#include <wengert/nn/recurrent.hpp>

namespace {

using namespace wengert;
using nn::CellKind;

struct Run {
  Tensor output, h_n, c_n;
  std::vector<Tensor> grads;  // every parameter, then x, h0 and (lstm) c0
};

// The reference: the composition of scale_gradient between single steps.
nn::RecurrentOutput step_by_step(const nn::Recurrent& rnn, const Var& x,
                                 const nn::RecurrentState& s0, Generator& gen,
                                 std::int64_t plain_steps, double factor) {
  std::vector<Var> parts;
  nn::RecurrentState last = s0;
  std::int64_t t = 0;
  if (plain_steps > 0) {
    auto out = rnn.forward(narrow(x, 0, 0, plain_steps), last, gen);
    parts.push_back(out.output);
    last = std::move(out.state);
    t = plain_steps;
  }
  for (; t < x.size(0); ++t) {
    last = lm::scale_gradient(last, factor);
    auto out = rnn.forward(narrow(x, 0, t, 1), last, gen);
    parts.push_back(out.output);
    last = std::move(out.state);
  }
  return {concat(parts, 0), last};
}

Run run(nn::Recurrent& rnn, bool fused, const Tensor& x0, const Tensor& h0, const Tensor& c0,
        std::int64_t plain_steps, double factor) {
  rnn.zero_grad();
  rnn.fused = fused;
  Generator gen(1);  // no dropout: unused
  const Var x(x0, true), h(h0, true), c = c0.defined() ? Var(c0, true) : Var();
  const nn::RecurrentState s0{h, c};
  const nn::RecurrentOutput out =
      fused ? rnn.forward(x, s0, gen, nn::StateGradientScale{plain_steps, factor})
            : step_by_step(rnn, x, s0, gen, plain_steps, factor);
  // A loss that reads every output and the final state, with weights that differ per element.
  Generator proj(2);
  Var loss = sum(out.output * Var(normal(out.output.shape(), 0, 1, proj, DType::f64))) +
             sum(out.state.h * Var(normal(out.state.h.shape(), 0, 1, proj, DType::f64)));
  if (c.defined()) loss = loss + sum(out.state.c * Var(normal(c0.shape(), 0, 1, proj, DType::f64)));
  loss.backward();
  Run r{out.output.value(), out.state.h.value(), c.defined() ? out.state.c.value() : Tensor(), {}};
  for (const Var& p : rnn.parameters()) r.grads.push_back(p.grad());
  r.grads.push_back(x.grad());
  r.grads.push_back(h.grad());
  if (c.defined()) r.grads.push_back(c.grad());
  return r;
}

}  // namespace

TEST_CASE("unbiased reweighting in the fused layers equals scale_gradient between single steps") {
  const std::int64_t T = 7, B = 3, I = 4, H = 5, L = 2;
  for (CellKind kind : {CellKind::rnn_tanh, CellKind::gru, CellKind::lstm}) {
    Generator gen(11);
    nn::Recurrent rnn(kind, I, H, L, gen, {.dtype = DType::f64});
    const Tensor x = normal({T, B, I}, 0, 1, gen, DType::f64);
    const Tensor h0 = normal({L, B, H}, 0, 0.5, gen, DType::f64);
    const Tensor c0 =
        kind == CellKind::lstm ? normal({L, B, H}, 0, 0.5, gen, DType::f64) : Tensor();
    for (std::int64_t plain_steps : {0, 3, 6}) {
      const double factor = 1.6;
      INFO(std::string(nn::cell_kind_name(kind)) << ", plain steps " << plain_steps);
      const Run fused = run(rnn, true, x, h0, c0, plain_steps, factor);
      const Run composed = run(rnn, false, x, h0, c0, plain_steps, factor);
      CHECK(max_abs_diff(fused.output, composed.output) < 1e-12);
      CHECK(max_abs_diff(fused.h_n, composed.h_n) < 1e-12);
      if (c0.defined()) CHECK(max_abs_diff(fused.c_n, composed.c_n) < 1e-12);
      REQUIRE(fused.grads.size() == composed.grads.size());
      for (std::size_t i = 0; i < fused.grads.size(); ++i) {
        INFO("gradient " << i << " of " << fused.grads.size());
        REQUIRE(fused.grads[i].defined());
        CHECK(max_abs_diff(fused.grads[i], composed.grads[i]) < 1e-12);
      }
      // The reweighting matters: without it the gradients of the initial state differ.
      const Run plain = run(rnn, true, x, h0, c0, plain_steps, 1.0);
      CHECK(max_abs_diff(plain.grads[plain.grads.size() - (c0.defined() ? 2 : 1)],
                         fused.grads[fused.grads.size() - (c0.defined() ? 2 : 1)]) > 1e-8);
    }
  }
}

TEST_CASE("a StateGradientScale on the composed path is refused, naming the fused layer") {
  Generator gen(3);
  nn::Recurrent rnn(CellKind::gru, 2, 3, 1, gen);
  rnn.fused = false;
  const Var x(normal({4, 2, 2}, 0, 1, gen));
  CHECK_THROWS_WITH(rnn.forward(x, {}, gen, nn::StateGradientScale{1, 2.0}),
                    Catch::Contains("fused = true"));
  CHECK_NOTHROW(rnn.forward(x, {}, gen, nn::StateGradientScale{}));  // scales nothing
}
