// Forward values of the activation and statistics ops against naive loops over <cmath> (their
// derivatives are in the gradcheck / gradgradcheck table of test_ops.cpp, their agreement with
// PyTorch in tests/nn/test_torch_hvp.cpp).
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>

#include "helpers.hpp"

using namespace wengert;
using namespace wengert::testing;

namespace {
// Compares op(x) with f applied to each element.
void check_map(const Var& y, const Tensor& x, const std::function<double(double)>& f) {
  const auto in = x.contiguous().to_vector<double>(), out = y.value().to_vector<double>();
  REQUIRE(in.size() == out.size());
  for (std::size_t i = 0; i < in.size(); ++i) CHECK(out[i] == Approx(f(in[i])).epsilon(1e-14));
}
}  // namespace

TEST_CASE("unary ops and activations match their formulas", "[ops][activations]") {
  const Tensor x = r({50}) * 3.0;
  const Var v(x);
  check_map(log1p(Var(abs(x))), abs(x), [](double a) { return std::log1p(a); });
  check_map(expm1(v), x, [](double a) { return std::expm1(a); });
  check_map(sin(v), x, [](double a) { return std::sin(a); });
  check_map(cos(v), x, [](double a) { return std::cos(a); });
  check_map(erf(v), x, [](double a) { return std::erf(a); });
  check_map(floor(v), x, [](double a) { return std::floor(a); });
  check_map(ceil(v), x, [](double a) { return std::ceil(a); });
  check_map(silu(v), x, [](double a) { return a / (1 + std::exp(-a)); });
  check_map(leaky_relu(v, 0.1), x, [](double a) { return a > 0 ? a : 0.1 * a; });
  check_map(elu(v, 2.0), x, [](double a) { return a > 0 ? a : 2.0 * (std::exp(a) - 1); });
  check_map(softplus(v, 2.0, 3.0), x,
            [](double a) { return 2 * a > 3 ? a : std::log1p(std::exp(2 * a)) / 2; });
  // Constants that give no function (softplus with beta = 0 was inf everywhere).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(softplus(v, 0.0), Catch::Contains("softplus: beta 0"));
  CHECK_THROWS_WITH(softplus(v, nan), Catch::Contains("softplus"));
  CHECK_THROWS_WITH(softplus(v, 1.0, nan), Catch::Contains("threshold nan"));
  CHECK_THROWS_WITH(leaky_relu(v, nan), Catch::Contains("leaky_relu: negative_slope"));
  CHECK_THROWS_WITH(elu(v, std::numeric_limits<double>::infinity()), Catch::Contains("elu: alpha"));
  check_map(gelu(v), x, [](double a) { return a / 2 * (1 + std::erf(a / std::sqrt(2.0))); });
  check_map(gelu(v, GeluApproximation::tanh), x, [](double a) {
    return a / 2 * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (a + 0.044715 * a * a * a)));
  });
  check_map(clamp_min(v, 0.5), x, [](double a) { return std::max(a, 0.5); });
  check_map(clamp_max(v, 0.5), x, [](double a) { return std::min(a, 0.5); });
  // round halves to even, like torch.round
  CHECK(round(Var(tensor({0.5, 1.5, 2.5, -0.5, -1.7}, DType::f64))).value().to_vector<double>() ==
        std::vector<double>{0.0, 2.0, 2.0, -0.0, -2.0});
}

TEST_CASE("piecewise-constant ops have a zero gradient", "[ops]") {
  Var x(tensor({0.3, 1.7}, DType::f64), true);
  sum(round(x) + floor(x) + ceil(x)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0.0, 0.0});
}

TEST_CASE("var, std, min, cumsum, tril/triu and max with indices against loops", "[ops]") {
  const Tensor x = r({3, 4});
  const auto v = x.to_vector<double>();
  // along axis 1, with both corrections
  for (std::int64_t correction : {0, 1}) {
    const auto got = var(Var(x), {1}, correction).value().to_vector<double>();
    const auto got_std = stddev(Var(x), {1}, correction).value().to_vector<double>();
    for (int i = 0; i < 3; ++i) {
      double m = 0, ss = 0;
      for (int j = 0; j < 4; ++j) m += v[i * 4 + j] / 4;
      for (int j = 0; j < 4; ++j) ss += (v[i * 4 + j] - m) * (v[i * 4 + j] - m);
      CHECK(got[i] == Approx(ss / (4 - correction)).epsilon(1e-13));
      CHECK(got_std[i] == Approx(std::sqrt(ss / (4 - correction))).epsilon(1e-13));
    }
  }
  CHECK(var(Var(x), {0, 1}, 1, true).shape() == Shape{1, 1});
  CHECK_THROWS_WITH(var(Var(r({1, 3})), {0}), Catch::Contains("var"));

  const auto mins = min(Var(x), {1}).value().to_vector<double>();
  const auto cums = cumsum(Var(x), 1).value().to_vector<double>();
  const auto lower = tril(Var(x), 1).value().to_vector<double>();
  const auto upper = triu(Var(x), -1).value().to_vector<double>();
  const ValuesIndices mx = max_with_indices(Var(x), 1);
  const auto mx_values = mx.values.value().to_vector<double>();
  const auto mx_index = mx.indices.to_vector<std::int64_t>();
  for (int i = 0; i < 3; ++i) {
    double lo = v[i * 4], run = 0, hi = v[i * 4];
    std::int64_t at = 0;
    for (int j = 0; j < 4; ++j) {
      const double e = v[i * 4 + j];
      lo = std::min(lo, e);
      if (e > hi) hi = e, at = j;
      run += e;
      CHECK(cums[i * 4 + j] == Approx(run).epsilon(1e-14));
      CHECK(lower[i * 4 + j] == (j - i <= 1 ? e : 0.0));
      CHECK(upper[i * 4 + j] == (j - i >= -1 ? e : 0.0));
    }
    CHECK(mins[i] == lo);
    CHECK(mx_values[i] == hi);
    CHECK(mx_index[i] == at);
  }
}

TEST_CASE("max_with_indices sends the gradient to the returned index only", "[ops]") {
  Var x(tensor({{1.0, 3.0, 3.0}, {2.0, 0.0, 2.0}}, DType::f64), true);
  sum(max_with_indices(x, 1).values).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 1, 0, 1, 0, 0});
  x.zero_grad();
  sum(min(x, {1})).backward();  // the reduction: ties share
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1, 0, 0, 0, 1, 0});
}

TEST_CASE("mixed operators treat the Tensor as a constant", "[ops]") {
  Var x(tensor({1.0, 2.0}, DType::f64), true);
  const Tensor t = tensor({3.0, 5.0}, DType::f64);
  const auto g = grad({sum(x * t + t / x - (t - x) + (t + x) / t)}, {x})[0].value();
  const auto gv = g.to_vector<double>();
  CHECK(gv[0] == Approx(3.0 - 3.0 + 1.0 + 1.0 / 3.0));
  CHECK(gv[1] == Approx(5.0 - 5.0 / 4.0 + 1.0 + 1.0 / 5.0));
}
