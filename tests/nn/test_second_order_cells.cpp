// Second derivatives through the composed recurrent cells (gradgradcheck in f64), and the fused
// layers' refusal of create_graph.
#include <catch2/catch.hpp>
#include <wengert/nn.hpp>

using namespace wengert;

namespace {
Tensor rnd(const Shape& shape, Generator& gen) { return normal(shape, 0.0, 0.5, gen, DType::f64); }
}  // namespace

TEST_CASE("composed cells pass gradgradcheck", "[second_order][cells]") {
  Generator gen(3);
  const std::int64_t B = 2, I = 3, H = 2;
  for (nn::CellKind kind : {nn::CellKind::rnn_tanh, nn::CellKind::gru, nn::CellKind::lstm}) {
    const std::int64_t G = nn::gate_count(kind) * H;
    std::vector<Tensor> inputs{rnd({B, I}, gen), rnd({B, H}, gen), rnd({B, H}, gen),
                               rnd({G, I}, gen), rnd({G, H}, gen), rnd({G}, gen),
                               rnd({G}, gen)};
    auto f = [kind](const std::vector<Var>& v) {
      const nn::CellWeights w{v[3], v[4], v[5], v[6]};
      const nn::CellState s = nn::cell_step(kind, v[0], {v[1], v[2]}, w);
      return kind == nn::CellKind::lstm ? s.h * s.c : s.h;
    };
    const GradcheckResult result = gradgradcheck(f, inputs);
    INFO(nn::cell_kind_name(kind) << ": " << result.report());
    CHECK(result.ok);
  }
}

TEST_CASE("fused layers refuse create_graph and name the way out", "[second_order][fused]") {
  Generator gen(4);
  const std::int64_t T = 2, B = 2, I = 3, H = 2, G = 3 * H;
  Var x(rnd({T, B, I}, gen), true), h0(rnd({B, H}, gen), true);
  Var w_ih(rnd({G, I}, gen), true), w_hh(rnd({G, H}, gen), true), b_ih(rnd({G}, gen), true),
      b_hh(rnd({G}, gen), true);
  const Var y = nn::fused_recurrent_layer(nn::CellKind::gru, x, h0, Var(), w_ih, w_hh, b_ih, b_hh);
  CHECK_THROWS_WITH(grad({sum(y)}, {x}, {}, {.create_graph = true}),
                    Catch::Contains("fused_gru") && Catch::Contains("fused = false"));
}
