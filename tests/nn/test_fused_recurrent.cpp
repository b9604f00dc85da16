// fused_recurrent_layer against its composed twin: the same cell equations written step by step
// with autograd ops (independent of the Recurrent module), compared in value and in every
// gradient; then gradcheck of the fused backward in f64, and the shape errors.
#include <omp.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <string>
#include <vector>
#include <wengert/autograd.hpp>
#include <wengert/nn/fused_recurrent.hpp>
#include <wengert/nn/recurrent.hpp>

namespace {

using namespace wengert;
using nn::CellKind;

// The options of one call: the time direction, and whether the layer has biases.
struct Variant {
  bool reverse = false, bias = true;
};

// The inputs of one layer in fused_recurrent_layer's order: x, h0, [c0], w_ih, w_hh, [b_ih, b_hh].
std::vector<Tensor> make_inputs(CellKind kind, std::int64_t T, std::int64_t B, std::int64_t I,
                                std::int64_t H, DType dt, std::uint64_t seed,
                                Variant variant = {}) {
  Generator gen(seed);
  const std::int64_t GH = nn::gate_count(kind) * H;
  std::vector<Tensor> in{normal({T, B, I}, 0, 1, gen, dt), normal({B, H}, 0, 0.5, gen, dt)};
  if (kind == CellKind::lstm) in.push_back(normal({B, H}, 0, 0.5, gen, dt));
  // Wider than PyTorch's U(-1/sqrt(H), 1/sqrt(H)) so that the gates are not all near 0.5.
  const double k = 1.5 / std::sqrt(double(H));
  for (const Shape& s : {Shape{GH, I}, Shape{GH, H}, Shape{GH}, Shape{GH}})
    in.push_back(uniform(s, -k, k, gen, dt));
  if (!variant.bias) in.resize(in.size() - 2);
  return in;
}

// The biases of the inputs v (undefined when the layer has none).
std::pair<Var, Var> biases(CellKind kind, const std::vector<Var>& v) {
  const std::size_t w = kind == CellKind::lstm ? 3 : 2;
  if (v.size() == w + 2) return {Var(), Var()};
  return {v[w + 2], v[w + 3]};
}

Var fused(CellKind kind, const std::vector<Var>& v, bool reverse = false) {
  const auto [b_ih, b_hh] = biases(kind, v);
  if (kind == CellKind::lstm)
    return nn::fused_recurrent_layer(kind, v[0], v[1], v[2], v[3], v[4], b_ih, b_hh, reverse);
  return nn::fused_recurrent_layer(kind, v[0], v[1], Var(), v[2], v[3], b_ih, b_hh, reverse);
}

// The composed reference: one cell per step, PyTorch's equations, gate blocks cut with narrow;
// reverse runs t = T - 1 down to 0 and returns the states in time order.
Var composed(CellKind kind, const std::vector<Var>& v, bool reverse = false) {
  const bool lstm = kind == CellKind::lstm;
  const Var& x = v[0];
  Var h = v[1];
  Var c = lstm ? v[2] : Var();
  const std::size_t w = lstm ? 3 : 2;
  const Var w_ih_t = transpose(v[w], 0, 1), w_hh_t = transpose(v[w + 1], 0, 1);
  const auto [b_ih, b_hh] = biases(kind, v);
  const auto add_bias = [](const Var& y, const Var& b) { return b.defined() ? y + b : y; };
  const std::int64_t H = h.size(1), T = x.size(0);
  auto block = [H](const Var& g, std::int64_t k) { return narrow(g, 1, k * H, H); };
  std::vector<Var> hs(static_cast<std::size_t>(T));
  for (std::int64_t s = 0; s < T; ++s) {
    const std::int64_t t = reverse ? T - 1 - s : s;
    const Var gx = add_bias(matmul(select(x, 0, t), w_ih_t), b_ih);  // [B, G*H]
    const Var gh = add_bias(matmul(h, w_hh_t), b_hh);
    switch (kind) {
      case CellKind::rnn_tanh:
        h = tanh(gx + gh);
        break;
      case CellKind::rnn_relu:
        h = relu(gx + gh);
        break;
      case CellKind::gru: {
        const Var r = sigmoid(block(gx, 0) + block(gh, 0));
        const Var z = sigmoid(block(gx, 1) + block(gh, 1));
        const Var n = tanh(block(gx, 2) + r * block(gh, 2));
        h = (1.0 - z) * n + z * h;
        break;
      }
      case CellKind::lstm: {
        const Var g = gx + gh;
        const Var i = sigmoid(block(g, 0)), f = sigmoid(block(g, 1));
        const Var gg = tanh(block(g, 2)), o = sigmoid(block(g, 3));
        c = f * c + i * gg;
        h = o * tanh(c);
        break;
      }
    }
    hs[static_cast<std::size_t>(t)] = h;
  }
  if (lstm) hs.push_back(c);
  return stack(hs, 0);
}

struct ValueGrads {
  Tensor value;
  std::vector<Tensor> grads;
};

// Value of f and the gradients of sum(f * proj) with respect to every input.
ValueGrads run(const std::function<Var(const std::vector<Var>&)>& f,
               const std::vector<Tensor>& inputs, const Tensor& proj) {
  std::vector<Var> leaves;
  for (const Tensor& t : inputs) leaves.emplace_back(t.clone(), true);
  const Var y = f(leaves);
  sum(y * Var(proj)).backward();
  ValueGrads r{y.value(), {}};
  for (const Var& l : leaves) r.grads.push_back(l.grad());
  return r;
}

const std::vector<CellKind> kAllKinds{CellKind::rnn_tanh, CellKind::rnn_relu, CellKind::gru,
                                      CellKind::lstm};

void check_against_composed(CellKind kind, std::int64_t T, std::int64_t B, std::int64_t I,
                            std::int64_t H, Variant variant = {}) {
  INFO(nn::cell_kind_name(kind) << " T=" << T << " B=" << B << " I=" << I << " H=" << H
                                << " reverse=" << variant.reverse << " bias=" << variant.bias);
  const std::vector<Tensor> in = make_inputs(kind, T, B, I, H, DType::f32, 42 + T + H, variant);
  Generator gen(7);
  const Tensor proj = normal({kind == CellKind::lstm ? T + 1 : T, B, H}, 0, 1, gen);
  const bool rev = variant.reverse;
  const ValueGrads a = run([kind, rev](const auto& v) { return fused(kind, v, rev); }, in, proj);
  const ValueGrads b = run([kind, rev](const auto& v) { return composed(kind, v, rev); }, in, proj);
  REQUIRE(a.value.shape() == b.value.shape());
  CHECK(allclose(a.value, b.value, 1e-5, 1e-5));
  const char* names[] = {"x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh"};
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::size_t n = kind == CellKind::lstm || i < 2 ? i : i + 1;
    INFO("gradient of " << names[n] << ", max |diff| " << max_abs_diff(a.grads[i], b.grads[i]));
    REQUIRE(a.grads[i].defined());
    CHECK(allclose(a.grads[i], b.grads[i], 1e-5, 1e-5));
  }
}

}  // namespace

TEST_CASE("fused_recurrent_layer equals the composed cells, f32", "[nn][fused]") {
  for (CellKind kind : kAllKinds)
    for (std::int64_t T : {1, 5}) check_against_composed(kind, T, 3, 5, 7);
}

TEST_CASE("fused_recurrent_layer: reverse direction and no biases equal the composed cells",
          "[nn][fused]") {
  for (CellKind kind : kAllKinds)
    for (const Variant variant : {Variant{true, true}, Variant{false, false}, Variant{true, false}})
      for (std::int64_t T : {1, 5}) check_against_composed(kind, T, 3, 5, 7, variant);
  // The reverse direction split between two threads.
  const int threads = omp_get_max_threads();
  omp_set_num_threads(2);
  check_against_composed(CellKind::gru, 3, 24, 3, 160, {true, true});
  omp_set_num_threads(threads);
}

TEST_CASE("fused_recurrent_layer: SIMD batches, tails, partial panels and threads", "[nn][fused]") {
  // H = 37: two full f32 batches of 16 and a tail; B = 13: a full tile of rows and a partial one.
  for (CellKind kind : kAllKinds) check_against_composed(kind, 3, 13, 4, 37);
  // Enough work per step (> 4 MFLOP) for the time loops to split the batch between two threads,
  // unevenly: rows 0-15 and 16-23.
  const int threads = omp_get_max_threads();
  omp_set_num_threads(2);
  check_against_composed(CellKind::lstm, 2, 24, 3, 160);
  check_against_composed(CellKind::gru, 2, 24, 3, 160);
  omp_set_num_threads(threads);
}

TEST_CASE("fused_recurrent_layer passes gradcheck in f64", "[nn][fused]") {
  for (CellKind kind : kAllKinds) {
    INFO(nn::cell_kind_name(kind));
    const std::vector<Tensor> in = make_inputs(kind, 3, 2, 3, 4, DType::f64, 11);
    const GradcheckResult r = gradcheck([kind](const auto& v) { return fused(kind, v); }, in);
    INFO(r.report());
    CHECK(r.ok);
    // reverse, without biases
    const std::vector<Tensor> nb = make_inputs(kind, 3, 2, 3, 4, DType::f64, 12, {true, false});
    const GradcheckResult rr =
        gradcheck([kind](const auto& v) { return fused(kind, v, true); }, nb);
    INFO(rr.report());
    CHECK(rr.ok);
  }
}

TEST_CASE("fused_recurrent_layer: output layout and no recording under NoGradGuard",
          "[nn][fused]") {
  const std::vector<Tensor> in = make_inputs(CellKind::lstm, 4, 3, 2, 5, DType::f32, 3);
  std::vector<Var> v;
  for (const Tensor& t : in) v.emplace_back(t, true);
  const Var y = fused(CellKind::lstm, v);
  CHECK(y.shape() == Shape{5, 3, 5});
  CHECK(y.op() == "fused_lstm");
  NoGradGuard no_grad;
  const Var z = fused(CellKind::lstm, v);
  CHECK(z.is_leaf());
  CHECK(allclose(y.value(), z.value(), 0, 0));
}

TEST_CASE("fused_recurrent_layer: shape errors name the shapes", "[nn][fused]") {
  const std::vector<Tensor> in = make_inputs(CellKind::gru, 2, 3, 4, 5, DType::f32, 5);
  std::vector<Var> v;
  for (const Tensor& t : in) v.emplace_back(t);
  // w_hh of an rnn given to a gru layer.
  const Var bad_w_hh(zeros({5, 5}));
  CHECK_THROWS_WITH(
      nn::fused_recurrent_layer(CellKind::gru, v[0], v[1], Var(), v[2], bad_w_hh, v[4], v[5]),
      Catch::Contains("w_hh must be [15, 5], got [5, 5]"));
  CHECK_THROWS_WITH(
      nn::fused_recurrent_layer(CellKind::gru, v[0], v[1], v[1], v[2], v[3], v[4], v[5]),
      Catch::Contains("c0"));
  CHECK_THROWS_WITH(
      nn::fused_recurrent_layer(CellKind::gru, v[1], v[1], Var(), v[2], v[3], v[4], v[5]),
      Catch::Contains("x must be [T, B, I]"));
  CHECK_THROWS_WITH(
      nn::fused_recurrent_layer(CellKind::gru, v[0], v[1], Var(), v[2], v[3], v[4], Var()),
      Catch::Contains("b_ih and b_hh must both be given or both be undefined"));
}

TEST_CASE("fused_recurrent_layer: token ids equal their one-hot rows, values and gradients",
          "[nn][fused]") {
  for (const CellKind kind : kAllKinds) {
    INFO(nn::cell_kind_name(kind));
    const std::int64_t T = 5, B = 9, V = 11, H = 20;
    std::vector<Tensor> in = make_inputs(kind, T, B, V, H, DType::f64, 3);
    Generator gen(11);
    std::vector<std::int64_t> id_values(T * B);
    for (auto& id : id_values) id = static_cast<std::int64_t>(gen.below(V));
    const Tensor ids = from_vector<std::int64_t>(id_values, {T, B});
    const Tensor proj = normal({kind == CellKind::lstm ? T + 1 : T, B, H}, 0, 1, gen, DType::f64);
    // The same inputs with x replaced by one-hot rows, and by the ids themselves (no gradient).
    in[0] = one_hot(ids, V, DType::f64);
    const ValueGrads dense = run([kind](const auto& v) { return fused(kind, v); }, in, proj);
    const ValueGrads sparse = run(
        [kind, &ids](const auto& v) {
          std::vector<Var> with_ids = v;
          with_ids[0] = Var(ids);
          return fused(kind, with_ids);
        },
        in, proj);
    CHECK(allclose(dense.value, sparse.value, 1e-12, 1e-12));
    for (std::size_t i = 1; i < in.size(); ++i) {  // every gradient but x's
      INFO("input " << i << ", max |diff| " << max_abs_diff(dense.grads[i], sparse.grads[i]));
      CHECK(allclose(dense.grads[i], sparse.grads[i], 1e-12, 1e-12));
    }
  }
}

TEST_CASE("fused_recurrent_layer: token ids out of range or of the wrong rank are errors",
          "[nn][fused]") {
  const std::vector<Tensor> in = make_inputs(CellKind::rnn_tanh, 2, 3, 4, 5, DType::f32, 5);
  std::vector<Var> v;
  for (const Tensor& t : in) v.emplace_back(t);
  const Var ids(from_vector<std::int64_t>({0, 1, 2, 3, 4, 0}, {2, 3}));
  CHECK_THROWS_WITH(
      nn::fused_recurrent_layer(CellKind::rnn_tanh, ids, v[1], Var(), v[2], v[3], v[4], v[5]),
      Catch::Contains("token id 4 at position 4 is out of range") && Catch::Contains("I = 4"));
  const Var ids3(from_vector<std::int64_t>({0, 1, 2, 3, 0, 1}, {1, 2, 3}));
  CHECK_THROWS_WITH(
      nn::fused_recurrent_layer(CellKind::rnn_tanh, ids3, v[1], Var(), v[2], v[3], v[4], v[5]),
      Catch::Contains("token ids must be [T, B]"));
}

// The cell kernels use the tensor module's sigmoid, edge-range fix included: far below -87 an
// f32 sigmoid is a denormal, not 0. A GRU step with update-gate pre-activation -95 and n = 0
// gives h = z * h_prev = sigmoid(-95) = 1 / (1 + e^95) ~ 5.5e-42 (f32 denormal), both in the SIMD
// body (H = 17: a full batch plus a tail) and in the scalar tail (H = 3).
TEST_CASE("fused_recurrent_layer: gate sigmoids keep the edge range (f32 denormals)",
          "[nn][fused]") {
  for (std::int64_t H : {3, 17}) {
    INFO("H = " << H);
    const Var x(ones({1, 2, 1}));  // T = 1, B = 2, I = 1
    const Var h0(ones({2, H}));
    Tensor w_ih = zeros({3 * H, 1});
    w_ih.narrow(0, H, H).fill_(-95.0);  // the z block; r and n pre-activations stay 0
    const Var y = nn::fused_recurrent_layer(CellKind::gru, x, h0, Var(), Var(w_ih),
                                            Var(zeros({3 * H, H})), Var(), Var());
    const double expected = 1.0 / (1.0 + std::exp(95.0));
    for (std::int64_t b = 0; b < 2; ++b)
      for (std::int64_t j = 0; j < H; ++j) {
        const double h = y.value().at({0, b, j});
        REQUIRE(h > 0.0);
        REQUIRE(std::abs(h - expected) <= 1e-3 * expected);
      }
  }
}
