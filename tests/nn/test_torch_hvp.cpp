// Second derivatives against PyTorch: tests/nn/fixtures/hvp.json, written by
// scripts/make_hvp_fixtures.py (torch.autograd.grad with create_graph=True, float64), holds for one
// expression per op family and for one step of each recurrent cell the first gradients of
// sum(f * w) and the Hessian-vector products along fixed directions v. Each f below is the same
// expression as in the script; both results must agree to 1e-9 relative.
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <wengert/nn.hpp>

#include "nn_test_support.hpp"

using namespace wengert;

namespace {
using V = const std::vector<Var>&;
using Fn = std::function<Var(V)>;

Tensor ids(std::vector<std::int64_t> values, Shape shape) {
  return from_vector<std::int64_t>(std::move(values), std::move(shape));
}

Fn cell(nn::CellKind kind) {
  return [kind](V v) {
    const nn::CellState s = nn::cell_step(kind, v[0], {v[1], v[2]}, {v[3], v[4], v[5], v[6]});
    return kind == nn::CellKind::lstm ? s.h * s.c : s.h;
  };
}

std::map<std::string, Fn> cases() {
  const Tensor row_ids = ids({1, 4, 1, 0}, {4});
  const Tensor gather_ids = ids({0, 2, 1, 1, 2, 0, 1, 2}, {4, 2});
  const Tensor targets = ids({2, -100, 0, 3}, {4});
  const Tensor targets_min1 = ids({2, 1, 1, 3}, {4});
  const Tensor targets_min0 = ids({2, 0, 0, 3}, {4});
  const Tensor class_weight = tensor({0.5, 1.0, 2.0, 1.5, 0.25}, DType::f64);
  return {
      {"elementwise",
       [](V v) {
         const Var &a = v[0], &b = v[1];
         return exp(a) * b + log(b) * a - sqrt(b) / (a * a + 1.0) + pow(b, a) +
                tanh(a) * sigmoid(a * b) - 2.0 / b + pow(a - b, 3.0);
       }},
      {"nonsmooth",
       [](V v) {
         const Var &a = v[0], &b = v[1];
         return relu(a) * a + abs(a) * b + clamp(a, -0.5, 0.5) * a * a +
                maximum(a, b) * minimum(a, b);
       }},
      {"reductions",
       [](V v) {
         const Var& a = v[0];
         return sum(pow(a, 2.0), {1}, true) * max(a, {1}, true) + logsumexp(a * a, {0}) +
                softmax(a, -1) * log_softmax(a * 2.0, 0) + mean(a * a);
       }},
      {"linalg",
       [row_ids, gather_ids](V v) {
         const Var h = tanh(matmul(v[0], v[1]));
         const Var emb = index_select(v[2], 0, row_ids);
         const Var m = slice(slice(v[1], 0, 0, 2), 1, 1, 3);
         return matmul(gather(h * emb, 1, gather_ids), transpose(m * m, 0, 1));
       }},
      {"shapes",
       [](V v) {
         const Var &a = v[0], &b = v[1];
         const Var c = concat({a * a, reshape(b, {2, 3})}, 0);
         const Var s = reshape(permute(slice(c, 0, 1, 4, 2), {1, 0}), {6});
         const Var t = stack({s * reshape(a, {6}), tanh(s)}, 1);
         return expand(t, {3, 6, 2}) * unsqueeze(unsqueeze(select(a, 0, 1), 1), 2) +
                sum(select(c, 1, 1)) * t;
       }},
      {"losses",
       [=](V v) {
         const Var& x = v[0];
         return cross_entropy(x * x, targets) +
                cross_entropy(tanh(x), targets_min1, {Reduction::sum}) +
                nll_loss(log_softmax(x * 0.5, -1), targets) +
                sum(cross_entropy(x, targets_min0, {Reduction::none}) * select(x, 1, 0)) +
                cross_entropy(x * x, targets, {.weight = class_weight, .label_smoothing = 0.15}) +
                sum(cross_entropy(sin(x), targets, {Reduction::none, -100, class_weight}) *
                    select(x, 1, 1)) +
                cross_entropy(x, targets, {.reduction = Reduction::sum, .label_smoothing = 0.3});
       }},
      {"activations",
       [](V v) {
         const Var& a = v[0];
         return log1p(a * a) * expm1(a) + sin(a) * cos(a * 2.0) + erf(a) +
                (round(a * 3.0) + floor(a) - ceil(a)) * a + silu(a) * a + leaky_relu(a, 0.2) * a +
                elu(a, 1.5) * a + softplus(a, 2.0, 1.0) * a + gelu(a) * a +
                gelu(a, GeluApproximation::tanh) + clamp_min(a, -0.3) * a + clamp_max(a, 0.2) * a;
       }},
      {"statistics",
       [](V v) {
         const Var& a = v[0];
         return min(a, {1}, true) * var(a, {1}, 1, true) + var(a, {0}, 0) * stddev(a) +
                cumsum(a * a, 1) + tril(a * a, 1) + triu(a, -1) * a +
                max_with_indices(a * a, 1, true).values * a + min_with_indices(a, 0).values;
       }},
      {"rnn_tanh_cell", cell(nn::CellKind::rnn_tanh)},
      {"gru_cell", cell(nn::CellKind::gru)},
      {"lstm_cell", cell(nn::CellKind::lstm)},
  };
}

Tensor fixture_tensor(const nlohmann::json& entry) {
  const Shape shape = entry.at("shape").get<Shape>();
  const auto data = entry.at("data").get<std::vector<double>>();
  return shape.empty() ? scalar(data.at(0), DType::f64) : from_vector<double>(data, shape);
}

// |ours - torch| <= 1e-9 * |torch| + 1e-12 everywhere (the 1e-12 only for exact zeros).
void check_close(const std::string& what, const Tensor& ours, const Tensor& torch) {
  INFO(what << ": ours " << ours << "\ntorch " << torch);
  REQUIRE(ours.shape() == torch.shape());
  const double excess = max(abs(ours - torch) - abs(torch) * 1e-9).item();
  CHECK(excess <= 1e-12);
}
}  // namespace

TEST_CASE("Hessian-vector products agree with PyTorch", "[second_order][torch]") {
  const nlohmann::json doc = testing::load_fixture("hvp.json");
  const auto fns = cases();
  REQUIRE(doc.size() == fns.size());
  for (const auto& [name, fixture] : doc.items()) {
    INFO(name);
    REQUIRE(fns.count(name) == 1);
    std::vector<Var> leaves;
    std::vector<Tensor> vs;
    for (std::size_t i = 0; fixture.contains("in." + std::to_string(i)); ++i) {
      leaves.emplace_back(fixture_tensor(fixture.at("in." + std::to_string(i))), true);
      vs.push_back(fixture_tensor(fixture.at("v." + std::to_string(i))));
    }
    const Var out = fns.at(name)(leaves);
    const Tensor w = fixture_tensor(fixture.at("w"));
    const std::vector<Var> g = grad({out}, leaves, {w}, {.create_graph = true});
    Var total(zeros({}, DType::f64));
    for (std::size_t i = 0; i < g.size(); ++i) total = total + sum(g[i] * vs[i]);
    const std::vector<Var> hvp = grad({total}, leaves);
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      const std::string k = std::to_string(i);
      check_close(name + " grad." + k, g[i].value(), fixture_tensor(fixture.at("grad." + k)));
      check_close(name + " hvp." + k, hvp[i].value(), fixture_tensor(fixture.at("hvp." + k)));
    }
  }
}
