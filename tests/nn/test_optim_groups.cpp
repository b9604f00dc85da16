// Parameter groups and composed schedules against PyTorch: optim_groups.json
// (scripts/make_optim_fixtures.py) holds AdamW and SGD with two groups of their own lr, weight
// decay and betas / momentum, under SequentialLR(LinearLR warmup, CosineAnnealingLR) stepped per
// optimizer step: the lr of each group at every step and the parameters after it. Also the
// no-decay split, the group state in checkpoints, and refusing another optimizer's state.
#include <catch2/catch.hpp>
#include <memory>
#include <wengert/nn.hpp>

#include "nn_test_support.hpp"

using namespace wengert;
using namespace wengert::nn;
using Catch::Contains;
using nlohmann::json;
using testing::make_tensor;

namespace {

std::unique_ptr<Optimizer> make_grouped(const std::string& kind, const json& spec,
                                        const std::vector<std::vector<Var>>& groups) {
  const json& o = spec["groups"];
  if (kind == "sgd") {
    std::vector<ParamGroup<SGDOptions>> g;
    for (std::size_t k = 0; k < groups.size(); ++k)
      g.push_back(
          {groups[k],
           {.lr = o[k]["lr"], .momentum = o[k]["momentum"], .weight_decay = o[k]["weight_decay"]}});
    return std::make_unique<SGD>(g);
  }
  std::vector<ParamGroup<AdamWOptions>> g;
  for (std::size_t k = 0; k < groups.size(); ++k)
    g.push_back({groups[k],
                 {.lr = o[k]["lr"],
                  .beta1 = o[k]["betas"][0],
                  .beta2 = o[k]["betas"][1],
                  .eps = spec["common"]["eps"],
                  .weight_decay = o[k]["weight_decay"]}});
  return std::make_unique<AdamW>(g);
}

}  // namespace

TEST_CASE("AdamW and SGD with two groups under warmup + cosine match PyTorch step by step",
          "[optim][schedule]") {
  const json fx = testing::load_fixture("optim_groups.json");
  const std::int64_t warmup = fx["warmup"], total = fx["total"];
  for (const std::string kind : {"adamw", "sgd"}) {
    const json& spec = fx["optimizers"][kind];
    for (const json& c : spec["cases"]) {
      const DType dtype = c["dtype"] == "f32" ? DType::f32 : DType::f64;
      const double tol = dtype == DType::f32 ? 1e-5 : 1e-10;
      INFO(kind << " " << dtype_name(dtype));
      std::vector<Var> params;
      for (std::size_t i = 0; i < c["shapes"].size(); ++i)
        params.emplace_back(make_tensor(c["init"][i], c["shapes"][i], dtype), true);
      std::vector<std::vector<Var>> groups;
      for (const json& idx : fx["groups"]) {
        groups.emplace_back();
        for (const std::size_t i : idx.get<std::vector<std::size_t>>())
          groups.back().push_back(params[i]);
      }
      auto opt = make_grouped(kind, spec, groups);
      REQUIRE(opt->num_groups() == 2);
      const auto schedule = warmup_then(
          warmup, std::make_shared<Cosine>(opt->initial_lr(0), total, fx["eta_min"].get<double>()),
          fx["start_factor"]);
      for (std::size_t step = 0; step < c["grads"].size(); ++step) {
        INFO("step " << step);
        schedule->apply(*opt, static_cast<std::int64_t>(step));
        for (std::size_t g = 0; g < 2; ++g)
          CHECK(opt->lr(g) == Approx(c["lrs"][step][g].get<double>()).epsilon(1e-12));
        for (std::size_t i = 0; i < params.size(); ++i)
          params[i].set_grad(make_tensor(c["grads"][step][i], c["shapes"][i], dtype));
        opt->step();
        for (std::size_t i = 0; i < params.size(); ++i) {
          INFO("parameter " << i);
          CHECK(max_abs_diff(params[i].value(),
                             make_tensor(c["after"][step][i], c["shapes"][i], dtype)) <= tol);
        }
      }
    }
  }
}

TEST_CASE("decay_groups puts biases and LayerNorm parameters in a no-decay group", "[optim]") {
  Generator gen(2);
  ModuleList net;
  auto fc = net.push_back(std::make_shared<Linear>(3, 4, gen));
  auto norm = net.push_back(std::make_shared<LayerNorm>(Shape{4}));
  auto gru = net.push_back(std::make_shared<GRU>(4, 4, 1, gen));
  const auto groups = decay_groups(net, AdamWOptions{.lr = 0.01, .weight_decay = 0.1});
  REQUIRE(groups.size() == 2);
  const auto nodes = [](const std::vector<Var>& vs) {
    std::vector<const void*> out;
    for (const Var& v : vs) out.push_back(v.node().get());
    return out;
  };
  CHECK(nodes(groups[0].params) ==
        nodes(std::vector<Var>{fc->weight(), gru->layer(0).w_ih, gru->layer(0).w_hh}));
  CHECK(nodes(groups[1].params) == nodes(std::vector<Var>{fc->bias(), norm->weight(), norm->bias(),
                                                          gru->layer(0).b_ih, gru->layer(0).b_hh}));
  CHECK(groups[0].options.weight_decay == 0.1);
  CHECK(groups[1].options.weight_decay == 0.0);
  CHECK(groups[1].options.lr == 0.01);

  AdamW opt(groups);
  CHECK(opt.num_groups() == 2);
  CHECK(opt.params().size() == net.parameters().size());
  CHECK(opt.options(1).weight_decay == 0.0);
  // A parameter in two groups is refused.
  CHECK_THROWS_WITH(
      SGD(std::vector<ParamGroup<SGDOptions>>{{{fc->weight()}, {}}, {{fc->weight()}, {}}}),
      Contains("SGD") && Contains("twice"));
}

TEST_CASE("LambdaSchedule, LinearWarmup and Sequence follow their closed forms", "[schedule]") {
  // By hand: warmup 0.2 -> 1 over 4 steps, then the factor 0.5^t.
  const auto lambda = std::make_shared<LambdaSchedule>(
      0.1, [](std::int64_t t) { return std::pow(0.5, static_cast<double>(t)); });
  const auto s = warmup_then(4, lambda, 0.2);
  const std::vector<double> expected{0.02, 0.04, 0.06, 0.08, 0.1, 0.05, 0.025};
  for (std::size_t t = 0; t < expected.size(); ++t)
    CHECK(s->lr_at(static_cast<std::int64_t>(t)) == Approx(expected[t]).epsilon(1e-14));
  CHECK(LinearWarmup(1.0, 4).lr_at(100) == 1.0);
  const auto step = std::make_shared<StepDecay>(1.0, 2, 0.5);
  const Sequence seq({step, std::make_shared<Cosine>(1.0, 4)}, {3});
  CHECK(seq.lr_at(2) == 0.5);
  CHECK(seq.lr_at(3) == 1.0);  // the cosine restarts from its base
  CHECK(seq.lr_at(5) == Approx(0.5));
  CHECK_THROWS_WITH(Sequence({step, step}, {}), Contains("milestone"));
  CHECK_THROWS_WITH(LambdaSchedule(1.0, [](std::int64_t) { return -1.0; }).lr_at(0),
                    Contains("factor(0)"));
  // Per group: group 1 keeps its ratio to group 0.
  Var a(tensor({1.0}), true), b(tensor({1.0}), true);
  SGD sgd(std::vector<ParamGroup<SGDOptions>>{{{a}, {.lr = 0.1}}, {{b}, {.lr = 0.01}}});
  s->apply(sgd, 0);
  CHECK(sgd.lr(0) == Approx(0.02));
  CHECK(sgd.lr(1) == Approx(0.002));
}

TEST_CASE("grouped optimizer state round-trips, and another kind's state is refused", "[optim]") {
  Var a(tensor({1.0, 2.0}), true), b(tensor({3.0}), true);
  const auto make = [&] {
    return AdamW(std::vector<ParamGroup<AdamWOptions>>{{{a}, {.lr = 0.1}}, {{b}, {.lr = 0.2}}});
  };
  AdamW opt = make();
  opt.set_lr(1, 0.05);
  a.set_grad(tensor({1.0, 1.0}));
  b.set_grad(tensor({1.0}));
  opt.step();
  AdamW other = make();
  other.load_state(opt.state());
  CHECK(other.lr(0) == 0.1);
  CHECK(other.lr(1) == 0.05);
  CHECK(equal(other.state().back().second, opt.state().back().second));

  Adam adam({a, b}, AdamOptions{});
  CHECK_THROWS_WITH(adam.load_state(opt.state()),
                    Contains("kind AdamW") && Contains("of kind Adam"));
  SGD sgd({a, b}, SGDOptions{});
  CHECK_THROWS_WITH(other.load_state(sgd.state()), Contains("SGD") && Contains("AdamW"));
  AdamW one_group({a, b}, AdamWOptions{});
  CHECK_THROWS_WITH(one_group.load_state(opt.state()), Contains("groups [1, 1]"));
}
