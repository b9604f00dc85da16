// Gradient clipping and LR schedules against PyTorch (fixtures optim_clip.json and
// optim_schedule.json from scripts/make_optim_fixtures.py): clip_grad_norm's returned norm and
// clipped gradients, clip_grad_value, and the StepLR / CosineAnnealingLR closed forms.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nn_test_support.hpp"
#include "wengert/nn/clip.hpp"
#include "wengert/nn/optim.hpp"
#include "wengert/nn/schedule.hpp"

using namespace wengert;
using namespace wengert::nn;
using nlohmann::json;

namespace {

using testing::load_fixture;
using testing::make_tensor;

}  // namespace

TEST_CASE("clip_grad_norm matches torch.nn.utils.clip_grad_norm_", "[clip]") {
  const json fixture = load_fixture("optim_clip.json");
  for (const json& c : fixture["norm_cases"]) {
    const DType dtype = c["dtype"] == "f32" ? DType::f32 : DType::f64;
    const double tol = dtype == DType::f32 ? 1e-5 : 1e-10;
    const double max_norm = c["max_norm"];
    INFO(dtype << " max_norm " << max_norm);
    std::vector<Var> params;
    for (std::size_t i = 0; i < c["shapes"].size(); ++i) {
      params.emplace_back(zeros(c["shapes"][i].get<Shape>(), dtype), true);
      params.back().set_grad(make_tensor(c["grads"][i], c["shapes"][i], dtype));
    }
    params.emplace_back(zeros({2}, dtype), true);  // no gradient: skipped
    const double norm = clip_grad_norm(params, max_norm);
    CHECK(std::abs(norm - c["norm"].get<double>()) <= tol);
    for (std::size_t i = 0; i < c["shapes"].size(); ++i) {
      const Tensor expected = make_tensor(c["clipped"][i], c["shapes"][i], dtype);
      CHECK(max_abs_diff(params[i].grad(), expected) <= tol);
      CHECK(params[i].grad().dtype() == dtype);
    }
    CHECK(!params.back().grad().defined());
  }
}

TEST_CASE("clip_grad_value clamps like clip_grad_value_", "[clip]") {
  const json c = load_fixture("optim_clip.json")["value_case"];
  const json shape = {c["grads"].size()};
  Var p(zeros({static_cast<std::int64_t>(c["grads"].size())}, DType::f64), true);
  p.set_grad(make_tensor(c["grads"], shape, DType::f64));
  clip_grad_value({p}, c["clip_value"]);
  CHECK(max_abs_diff(p.grad(), make_tensor(c["clipped"], shape, DType::f64)) == 0);
}

TEST_CASE("clip_grad_norm edge cases", "[clip]") {
  Var p(zeros({2}), true);
  CHECK(clip_grad_norm({p}, 1.0) == 0.0);  // no gradients at all
  p.set_grad(tensor({3.0, 4.0}));
  CHECK(clip_grad_norm({p}, 5.0) == Approx(5.0));  // 5 / (5 + 1e-6) < 1: scaled, barely
  CHECK(clip_grad_norm({p}, 1.0) == Approx(5.0).epsilon(1e-6));
  CHECK(clip_grad_norm({p}, 1.0) == Approx(1.0).epsilon(1e-5));  // already clipped
  CHECK_THROWS_WITH(clip_grad_norm({p}, -1.0), Catch::Contains("max_norm"));
}

TEST_CASE("StepDecay and Cosine match StepLR / CosineAnnealingLR", "[schedule]") {
  const json fixture = load_fixture("optim_schedule.json");
  const json& s = fixture["step"];
  const StepDecay step(s["base_lr"], s["step_size"], s["gamma"]);
  for (std::size_t e = 0; e < s["lrs"].size(); ++e)
    CHECK(step.lr_at(static_cast<std::int64_t>(e)) ==
          Approx(s["lrs"][e].get<double>()).epsilon(1e-14));

  const json& c = fixture["cosine"];
  const Cosine cosine(c["base_lr"], c["total_epochs"], c["min_lr"]);
  for (std::size_t e = 0; e < c["lrs"].size(); ++e)
    CHECK(cosine.lr_at(static_cast<std::int64_t>(e)) ==
          Approx(c["lrs"][e].get<double>()).epsilon(1e-14));

  Var w(tensor({1.0}), true);
  SGD sgd({w}, SGDOptions{.lr = 1.0});
  cosine.apply(sgd, 10);
  CHECK(sgd.lr() == Approx(0.001));
  CHECK_THROWS_WITH(StepDecay(0.1, 0), Catch::Contains("step_size"));
}
