// Optimizers against PyTorch: fixtures from scripts/make_optim_fixtures.py hold initial
// parameters, three steps of fixed gradients (one parameter without a gradient at step 2) and the
// parameters torch.optim produced after each step; we must agree to 1e-5 (f32) / 1e-10 (f64).
// Also: state() / load_state() resume bit-for-bit, and a bad state is rejected without effect.
#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nn_test_support.hpp"
#include "wengert/nn/checkpoint.hpp"
#include "wengert/nn/optim.hpp"

using namespace wengert;
using namespace wengert::nn;
using nlohmann::json;

namespace {

using testing::load_fixture;
using testing::make_tensor;

std::unique_ptr<Optimizer> make_optimizer(const json& fixture, std::vector<Var> params) {
  const std::string kind = fixture["optimizer"];
  const json& o = fixture["options"];
  if (kind == "sgd") {
    return std::make_unique<SGD>(
        params, SGDOptions{o["lr"], o.value("momentum", 0.0), o.value("dampening", 0.0),
                           o.value("weight_decay", 0.0), o.value("nesterov", false)});
  }
  const double b1 = o["betas"][0], b2 = o["betas"][1];
  if (kind == "adam") {
    return std::make_unique<Adam>(
        params, AdamOptions{o["lr"], b1, b2, o["eps"], o.value("weight_decay", 0.0)});
  }
  REQUIRE(kind == "adamw");
  return std::make_unique<AdamW>(params,
                                 AdamWOptions{o["lr"], b1, b2, o["eps"], o["weight_decay"]});
}

std::vector<Var> make_params(const json& c, DType dtype) {
  std::vector<Var> params;
  for (std::size_t i = 0; i < c["shapes"].size(); ++i)
    params.emplace_back(make_tensor(c["init"][i], c["shapes"][i], dtype), true);
  return params;
}

void set_grads(const std::vector<Var>& params, const json& c, std::size_t step, DType dtype) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const json& g = c["grads"][step][i];
    params[i].set_grad(g.is_null() ? Tensor() : make_tensor(g, c["shapes"][i], dtype));
  }
}

DType dtype_of_case(const json& c) { return c["dtype"] == "f32" ? DType::f32 : DType::f64; }

}  // namespace

TEST_CASE("optimizers match torch.optim step by step", "[optim]") {
  const auto name = GENERATE(as<std::string>{}, "sgd_plain", "sgd_momentum", "sgd_nesterov",
                             "sgd_weight_decay", "adam", "adam_weight_decay", "adamw");
  const json fixture = load_fixture("optim_" + name + ".json");
  for (const json& c : fixture["cases"]) {
    const DType dtype = dtype_of_case(c);
    const double tol = dtype == DType::f32 ? 1e-5 : 1e-10;
    INFO(name << " " << dtype);
    const std::vector<Var> params = make_params(c, dtype);
    const std::vector<Tensor> storages = {params[0].value()};
    auto opt = make_optimizer(fixture, params);
    for (std::size_t step = 0; step < c["grads"].size(); ++step) {
      set_grads(params, c, step, dtype);
      opt->step();
      for (std::size_t i = 0; i < params.size(); ++i) {
        INFO("step " << step << " parameter " << i);
        const Tensor expected = make_tensor(c["after"][step][i], c["shapes"][i], dtype);
        CHECK(max_abs_diff(params[i].value(), expected) <= tol);
      }
    }
    // Updated in place: the parameter still owns its original storage.
    CHECK(params[0].value().shares_storage_with(storages[0]));
  }
}

TEST_CASE("optimizer state resumes bit-for-bit through a safetensors file", "[optim]") {
  const auto name = GENERATE(as<std::string>{}, "sgd_weight_decay", "adam", "adamw");
  const json fixture = load_fixture("optim_" + name + ".json");
  const json& c = fixture["cases"][0];
  const DType dtype = dtype_of_case(c);
  const std::vector<Var> a = make_params(c, dtype);
  auto opt_a = make_optimizer(fixture, a);
  for (std::size_t step = 0; step < 2; ++step) {
    set_grads(a, c, step, dtype);
    opt_a->step();
  }
  // A second run starting from copies of the parameters and the saved state.
  std::vector<Var> b;
  for (const Var& p : a) b.emplace_back(p.value().clone(), true);
  auto opt_b = make_optimizer(fixture, b);
  opt_b->set_lr(123.0);  // overwritten by the state's "lr"
  const testing::ScratchDir dir("optim_state");
  const auto path = dir.path / (name + ".safetensors");
  save_safetensors(path, opt_a->state());
  opt_b->load_state(load_safetensors(path).tensors);
  CHECK(opt_b->lr() == opt_a->lr());

  set_grads(a, c, 2, dtype);
  set_grads(b, c, 2, dtype);
  opt_a->step();
  opt_b->step();
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(equal(a[i].value(), b[i].value()));
}

TEST_CASE("optimizer state names, per-parameter steps and skipped parameters", "[optim]") {
  Var w(tensor({1.0, 2.0}), true), u(tensor({3.0}), true);
  Adam adam({w, u}, AdamOptions{.lr = 0.1});
  CHECK(adam.state().size() == 2);  // only "lr" and "optimizer.Adam" before the first step
  w.set_grad(tensor({0.5, -0.5}));
  adam.step();  // u has no gradient: untouched, no state
  CHECK(u.value().item() == 3.0);
  const NamedTensors s = adam.state();
  std::vector<std::string> names;
  for (const auto& [n, t] : s) names.push_back(n);
  CHECK(names ==
        std::vector<std::string>{"lr", "optimizer.Adam", "step.0", "exp_avg.0", "exp_avg_sq.0"});
  CHECK(s[1].second.to_vector<std::int64_t>() == std::vector<std::int64_t>{2});  // one group of 2
  CHECK(s[2].second.dtype() == DType::i64);
  CHECK(s[2].second.item() == 1);

  adam.zero_grad();
  CHECK(!w.grad().defined());

  // A step count beyond 2^53 comes back exactly (it used to pass through a double).
  NamedTensors big = s;
  const std::int64_t huge = (std::int64_t{1} << 53) + 1;
  big[2].second = from_vector(std::vector<std::int64_t>{huge}, Shape{});
  adam.load_state(big);
  CHECK(adam.state()[2].second.to_vector<std::int64_t>() == std::vector<std::int64_t>{huge});
  big[2].second = from_vector(std::vector<std::int64_t>{std::int64_t{1} << 62}, Shape{});
  CHECK_THROWS_WITH(adam.load_state(big), Catch::Contains("'step.0' = 4611686018427387904 is "
                                                          "outside [0, 2^62)"));
  big[2].second = from_vector(std::vector<std::int64_t>{-1}, Shape{});
  CHECK_THROWS_WITH(adam.load_state(big), Catch::Contains("'step.0' = -1"));
}

TEST_CASE("optimizer load_state is all-or-nothing and names the bad entry", "[optim]") {
  Var w(tensor({1.0, 2.0}), true);
  SGD sgd({w}, SGDOptions{.lr = 0.1, .momentum = 0.9});
  w.set_grad(tensor({1.0, 1.0}));
  sgd.step();
  const NamedTensors before = sgd.state();
  const auto rejects = [&](NamedTensors bad, const std::string& message) {
    REQUIRE_THROWS_WITH(sgd.load_state(bad), Catch::Contains(message));
    const NamedTensors after = sgd.state();
    REQUIRE(after.size() == before.size());
    for (std::size_t i = 0; i < after.size(); ++i) CHECK(equal(after[i].second, before[i].second));
  };
  rejects({{"lr", scalar(0.5, DType::f64)}, {"momentum_buffer.0", zeros({3})}},
          "'momentum_buffer.0' is f32 [3], parameter 0 is f32 [2]");
  rejects({{"momentum_buffer.0", zeros({2}, DType::f64)}}, "'momentum_buffer.0' is f64 [2]");
  rejects({{"momentum_buffer.1", zeros({2})}}, "'momentum_buffer.1' does not name a parameter");
  rejects({{"exp_avg.0", zeros({2})}}, "unexpected entry 'exp_avg.0'");
  rejects({{"step.0", scalar(1.0, DType::f64)}}, "'step.0' must be one i64 value");
  rejects({{"momentum_buffer.0", zeros({2})}, {"momentum_buffer.0", zeros({2})}}, "appears twice");
  rejects({{"lr", tensor({1.0, 2.0})}}, "'lr' must be one floating value");

  // A good state without buffers resets them: the next step starts the momentum afresh.
  sgd.load_state({{"lr", scalar(0.25, DType::f64)}});
  CHECK(sgd.lr() == 0.25);
  CHECK(sgd.state().size() == 2);  // "lr" and "optimizer.SGD"
}

TEST_CASE("optimizer options are checked", "[optim]") {
  Var w(tensor({1.0}), true);
  CHECK_THROWS_WITH(SGD({w}, SGDOptions{.lr = 0.1, .nesterov = true}), Catch::Contains("Nesterov"));
  CHECK_THROWS_WITH(Adam({w}, AdamOptions{.beta1 = 1.0}), Catch::Contains("betas"));
  CHECK_THROWS_WITH(SGD({w}, SGDOptions{.lr = -1}), Catch::Contains("learning rate"));
  CHECK_THROWS_WITH(SGD({Var()}, SGDOptions{}), Catch::Contains("parameter 0 is an undefined Var"));
}
