// Sequential, ModuleList, Module buffers and LayerNorm's own checks (its values and gradients
// against PyTorch are in test_torch_fixtures.cpp).
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <wengert/nn.hpp>

#include "nn_test_support.hpp"

using namespace wengert;
using namespace wengert::nn;
using Catch::Contains;

namespace {
// A module with a buffer: y = x * scale + offset, where offset is a fixed, saved buffer.
struct Shifted : Module {
  Var scale;
  Var offset;
  explicit Shifted(std::int64_t n) {
    scale = register_parameter("scale", ones({n}, DType::f64));
    offset = register_buffer("offset", full({n}, 0.5, DType::f64));
  }
  Var forward(const Var& x) const { return x * scale + offset; }
};

std::vector<std::string> names(const std::vector<std::pair<std::string, Var>>& named) {
  std::vector<std::string> out;
  for (const auto& [n, p] : named) out.push_back(n);
  return out;
}
}  // namespace

TEST_CASE("Sequential runs its steps in order, names them and needs a Generator only for dropout",
          "[containers]") {
  Generator gen(3);
  Sequential net;
  auto fc1 = net.push_back(std::make_shared<Linear>(3, 5, gen, true, DType::f64));
  net.push_back("act", [](const Var& x) { return relu(x); });
  auto drop = net.push_back(std::make_shared<Dropout>(0.5));
  auto fc2 = net.push_back(std::make_shared<Linear>(5, 2, gen, false, DType::f64));
  CHECK(net.size() == 4);
  CHECK(names(net.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "3.weight"});
  CHECK(net.children()[1].first == "act");
  CHECK_THAT(net.summary(), Contains("act: Function") && Contains("2: Dropout"));

  const Var x(normal({4, 3}, 0, 1, gen, DType::f64));
  const Tensor reference = fc2->forward(relu(fc1->forward(x))).value();
  net.eval();  // dropout is the identity in eval mode, and no Generator is needed
  CHECK(max_abs_diff(net.forward(x).value(), reference) == 0.0);
  net.train();
  CHECK_THROWS_WITH(net.forward(x), Contains("step '2'") && Contains("Generator"));
  Generator a(9), b(9);
  const Tensor with_drop = net.forward(x, a).value();
  CHECK(max_abs_diff(with_drop, fc2->forward(drop->forward(relu(fc1->forward(x)), b)).value()) ==
        0.0);
}

TEST_CASE("ModuleList indexes, names and type-checks its modules", "[containers]") {
  Generator gen(1);
  ModuleList list;
  list.push_back(std::make_shared<Linear>(2, 3, gen));
  list.push_back(std::make_shared<LayerNorm>(Shape{3}));
  CHECK(list.size() == 2);
  CHECK(names(list.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"});
  CHECK(list.get<Linear>(0)->out_features() == 3);
  CHECK_THROWS_WITH(list.get<Linear>(1), Contains("module 1") && Contains("LayerNorm") &&
                                             Contains("wengert::nn::Linear"));
  CHECK_THROWS_WITH(list[2], Contains("index 2") && Contains("size 2"));
  std::size_t n = 0;
  for (const auto& m : list) n += m->parameters().size();
  CHECK(n == 4);
}

TEST_CASE("buffers are saved and loaded with the state_dict but never optimized", "[containers]") {
  testing::ScratchDir dir("buffers");
  Sequential outer;
  auto inner = outer.push_back("shift", std::make_shared<Shifted>(3));
  CHECK(names(outer.named_parameters()) == std::vector<std::string>{"shift.scale"});
  const auto buffers = outer.named_buffers();
  REQUIRE(buffers.size() == 1);
  CHECK(buffers[0].first == "shift.offset");
  CHECK(buffers[0].second.shares_storage_with(inner->offset.value()));
  CHECK_FALSE(inner->offset.requires_grad());
  CHECK_THAT(outer.summary(), Contains("offset  [3]  (buffer)"));

  // One SGD step moves the parameter, not the buffer.
  const Var x(from_vector<double>({1, 2, 3}, {3}));
  SGD sgd(outer.parameters(), {.lr = 0.1});
  sum(outer.forward(x)).backward();
  sgd.step();
  CHECK(inner->offset.value().to_vector<double>() == std::vector<double>{0.5, 0.5, 0.5});
  CHECK(inner->scale.value().to_vector<double>() != std::vector<double>{1, 1, 1});

  // Saved and loaded in place; a missing buffer is an error naming it.
  inner->offset.mutable_value().fill_(2.0);
  save_module(dir.path / "m.safetensors", outer);
  Sequential other;
  auto other_inner = other.push_back("shift", std::make_shared<Shifted>(3));
  const Tensor before = other_inner->offset.value();
  load_module(dir.path / "m.safetensors", other);
  CHECK(before.to_vector<double>() == std::vector<double>{2, 2, 2});
  CHECK(max_abs_diff(other_inner->scale.value(), inner->scale.value()) == 0.0);
  NamedTensors no_buffer{{"shift.scale", ones({3}, DType::f64)}};
  CHECK_THROWS_WITH(other.load_state_dict(no_buffer), Contains("'shift.offset'"));
}

TEST_CASE("LayerNorm normalizes the trailing axes and checks shapes", "[containers]") {
  // Hand-computed: [1, 2, 3] has mean 2, biased var 2/3 -> (x - 2) / sqrt(2/3 + eps).
  LayerNorm ln(Shape{3}, {.eps = 0.0, .dtype = DType::f64});
  const Var y = ln.forward(Var(from_vector<double>({1, 2, 3, 5, 5, 8}, {2, 3})));
  const double s = std::sqrt(2.0 / 3.0);
  // second row: mean 6, var ((1 + 1 + 4) / 3) = 2
  const std::vector<double> expected{
      -1 / s, 0, 1 / s, -1 / std::sqrt(2.0), -1 / std::sqrt(2.0), 2 / std::sqrt(2.0)};
  const auto got = y.value().to_vector<double>();
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(expected[i]).epsilon(1e-12));
  CHECK(names(ln.named_parameters()) == std::vector<std::string>{"weight", "bias"});
  CHECK(LayerNorm(Shape{4}, {.elementwise_affine = false}).parameters().empty());
  CHECK(LayerNorm(Shape{4}, {.bias = false}).parameters().size() == 1);
  CHECK_THROWS_WITH(ln.forward(Var(zeros({2, 4}, DType::f64))),
                    Contains("layer_norm") && Contains("[2, 4]") && Contains("[3]"));
  CHECK(ln.type_name() == "LayerNorm([3], eps=0)");
}

TEST_CASE("LayerNorm gradients pass gradcheck", "[containers]") {
  Generator gen(5);
  const auto r = gradcheck(
      [](const std::vector<Var>& in) {
        return layer_norm(in[0], {2, 3}, in[1], in[2]);
      },
      {normal({4, 2, 3}, 0, 1, gen, DType::f64), normal({2, 3}, 0, 1, gen, DType::f64),
       normal({2, 3}, 0, 1, gen, DType::f64)});
  INFO(r.report());
  CHECK(r);
}
