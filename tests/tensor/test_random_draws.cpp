// randint, bernoulli and multinomial: ranges, frequencies against the requested probabilities
// (a few standard deviations of the binomial count), no repeats without replacement, and errors.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <set>
#include <wengert/tensor.hpp>

using namespace wengert;

namespace {
// |count - n p| within 5 binomial standard deviations.
void check_count(std::int64_t count, std::int64_t n, double p) {
  INFO("count " << count << " of " << n << " for p = " << p);
  CHECK(std::abs(static_cast<double>(count) - n * p) <= 5.0 * std::sqrt(n * p * (1 - p)) + 1e-9);
}
}  // namespace

TEST_CASE("randint is uniform over [lo, hi) and reproducible", "[random]") {
  Generator gen(1), again(1);
  const Tensor x = randint(-2, 3, {5000}, gen);
  CHECK(x.dtype() == DType::i64);
  CHECK(x.to_vector<std::int64_t>() == randint(-2, 3, {5000}, again).to_vector<std::int64_t>());
  std::int64_t counts[5] = {};
  for (std::int64_t v : x.to_vector<std::int64_t>()) {
    REQUIRE(v >= -2);
    REQUIRE(v < 3);
    ++counts[v + 2];
  }
  for (std::int64_t c : counts) check_count(c, 5000, 0.2);
  CHECK_THROWS_WITH(randint(3, 3, {1}, gen), Catch::Contains("randint"));
}

TEST_CASE("randint over ranges wider than 2^63 (hi - lo would overflow int64)", "[random]") {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  Generator gen(3);
  // [-2^63, 2^63 - 1): 256 draws, both signs, each half of the range about half the time.
  const std::vector<std::int64_t> wide = randint(kMin, kMax, {256}, gen).to_vector<std::int64_t>();
  std::int64_t negative = 0;
  for (std::int64_t v : wide) {
    REQUIRE(v < kMax);
    negative += v < 0;
  }
  check_count(negative, 256, 0.5);
  // [2^63 - 3, 2^63 - 1): only two values, so the offset from lo must land exactly.
  const std::vector<std::int64_t> top =
      randint(kMax - 2, kMax, {64}, gen).to_vector<std::int64_t>();
  for (std::int64_t v : top) CHECK((v == kMax - 2 || v == kMax - 1));
  const std::vector<std::int64_t> bottom =
      randint(kMin, kMin + 2, {64}, gen).to_vector<std::int64_t>();
  for (std::int64_t v : bottom) CHECK((v == kMin || v == kMin + 1));
}

TEST_CASE("bernoulli draws 1 with the given probability", "[random]") {
  Generator gen(2);
  const Tensor p = full({4000}, 0.3, DType::f64);
  const Tensor x = bernoulli(p, gen);
  CHECK(x.shape() == p.shape());
  std::int64_t ones_count = 0;
  for (double v : x.to_vector<double>()) {
    REQUIRE((v == 0.0 || v == 1.0));
    ones_count += v == 1.0;
  }
  check_count(ones_count, 4000, 0.3);
  CHECK(bernoulli(tensor({0.0, 1.0}), gen).to_vector<float>() == std::vector<float>{0.0f, 1.0f});
  CHECK_THROWS_WITH(bernoulli(tensor({1.5}), gen), Catch::Contains("outside [0, 1]"));
}

TEST_CASE("multinomial follows the weights, with and without replacement", "[random]") {
  Generator gen(3);
  const Tensor w = tensor({1.0, 0.0, 3.0, 4.0}, DType::f64);  // p = 1/8, 0, 3/8, 1/2
  const Tensor x = multinomial(w, 8000, true, gen);
  CHECK(x.shape() == Shape{8000});
  std::int64_t counts[4] = {};
  for (std::int64_t v : x.to_vector<std::int64_t>()) ++counts[v];
  CHECK(counts[1] == 0);
  check_count(counts[0], 8000, 0.125);
  check_count(counts[2], 8000, 0.375);
  check_count(counts[3], 8000, 0.5);

  CHECK_THROWS_WITH(multinomial(tensor({0.0, 2.0, 5.0}, DType::f64), 3, false, gen),
                    Catch::Contains("distinct"));
  CHECK_THROWS_WITH(multinomial(tensor({-1.0, 2.0}), 1, true, gen), Catch::Contains("weight"));
}

TEST_CASE("multinomial without replacement never repeats a class", "[random]") {
  Generator gen(4);
  const Tensor x =
      multinomial(tensor({{1.0, 1.0, 1.0, 1.0}, {0.0, 2.0, 5.0, 1.0}}, DType::f64), 3, false, gen);
  REQUIRE(x.shape() == Shape{2, 3});
  const auto v = x.to_vector<std::int64_t>();
  CHECK(std::set<std::int64_t>(v.begin(), v.begin() + 3).size() == 3);
  CHECK(std::set<std::int64_t>(v.begin() + 3, v.end()) == std::set<std::int64_t>{1, 2, 3});
}
