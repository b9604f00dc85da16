// SoftmaxDecoder: logits and log-probabilities, and sampling: greedy = argmax, top-k never leaves
// the top k, temperature -> 0 approaches greedy, and empirical frequencies match the softmax.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>
#include <wengert/nn.hpp>

using namespace wengert;
using namespace wengert::nn;
using Catch::Contains;

namespace {
// Counts of each id in `ids` (i64 [N]) over a vocabulary of v.
std::vector<double> frequencies(const Tensor& ids, std::int64_t v) {
  std::vector<double> f(static_cast<std::size_t>(v), 0.0);
  const auto all = ids.to_vector<std::int64_t>();
  for (const std::int64_t id : all) f[static_cast<std::size_t>(id)] += 1.0 / all.size();
  return f;
}
}  // namespace

TEST_CASE("SoftmaxDecoder logits and log_probs", "[decoder]") {
  Generator gen(1);
  SoftmaxDecoder dec(6, 11, gen);
  CHECK(dec.weight().shape() == Shape{11, 6});
  CHECK(dec.bias().shape() == Shape{11});
  const Var h(normal({3, 2, 6}, 0, 1, gen));
  CHECK(dec.forward(h).shape() == Shape{3, 2, 11});
  const Tensor lp = dec.log_probs(h).value();
  CHECK(max_abs_diff(sum(exp(lp), {-1}), ones({3, 2})) < 1e-5);
  CHECK_THROWS_WITH(dec.forward(Var(zeros({3, 5}))),
                    Contains("SoftmaxDecoder(6 -> 11)") && Contains("[3, 5]"));
  CHECK(perplexity(std::log(7.0)) == Approx(7.0));
  CHECK(perplexity(0.0) == 1.0);
}

TEST_CASE("greedy sampling is the argmax", "[decoder]") {
  Generator gen(2);
  const Tensor logits = normal({8, 20}, 0, 1, gen);
  const Tensor ids = SoftmaxDecoder::sample(logits, {.greedy = true}, gen);
  CHECK(ids.dtype() == DType::i64);
  CHECK(equal(ids, argmax(logits, 1)));
  CHECK(equal(SoftmaxDecoder::sample(logits, {.temperature = 0.0}, gen), argmax(logits, 1)));
}

TEST_CASE("top-k sampling never picks outside the top k", "[decoder]") {
  Generator gen(3);
  const std::int64_t v = 12, k = 3;
  const Tensor row = normal({1, v}, 0, 1, gen);
  const Tensor logits = row.expand({4000, v}).contiguous();
  const Tensor ids = SoftmaxDecoder::sample(logits, {.temperature = 5.0, .top_k = k}, gen);
  // The k-th largest logit: every sampled id must be at least that large.
  std::vector<double> sorted = row.to_vector<double>();
  std::sort(sorted.rbegin(), sorted.rend());
  const auto f = frequencies(ids, v);
  int used = 0;
  for (std::int64_t j = 0; j < v; ++j) {
    if (f[j] > 0) {
      ++used;
      CHECK(row.at({0, j}) >= sorted[k - 1]);
    }
  }
  CHECK(used == k);  // at temperature 5 all three are drawn
}

TEST_CASE("temperature -> 0 approaches greedy", "[decoder]") {
  Generator gen(4);
  const Tensor logits = normal({200, 10}, 0, 1, gen);
  const Tensor greedy = argmax(logits, 1);
  const double agree_1 =
      mean(eq(SoftmaxDecoder::sample(logits, {.temperature = 1.0}, gen), greedy).to(DType::f64))
          .item();
  const double agree_01 =
      mean(eq(SoftmaxDecoder::sample(logits, {.temperature = 0.1}, gen), greedy).to(DType::f64))
          .item();
  const Tensor cold = SoftmaxDecoder::sample(logits, {.temperature = 1e-4}, gen);
  CHECK(agree_1 < agree_01);
  CHECK(agree_01 > 0.8);
  CHECK(equal(cold, greedy));
}

TEST_CASE("empirical frequencies match the softmax", "[decoder]") {
  Generator gen(5);
  const Tensor row = tensor({{0.5, -1.0, 2.0, 0.0, 1.0}});
  const std::int64_t n = 20000;
  const Tensor logits = row.expand({n, 5}).contiguous();
  SECTION("temperature 1, all tokens") {
    const auto f = frequencies(SoftmaxDecoder::sample(logits, {}, gen), 5);
    const Tensor p = softmax(row, 1);
    for (std::int64_t j = 0; j < 5; ++j) CHECK(f[j] == Approx(p.at({0, j})).margin(0.015));
  }
  SECTION("temperature 2, top 3") {
    const auto f =
        frequencies(SoftmaxDecoder::sample(logits, {.temperature = 2.0, .top_k = 3}, gen), 5);
    // The top 3 are ids 2, 4, 0 with logits 2, 1, 0.5: p ~ exp(l / 2) over those three.
    const double z = std::exp(1.0) + std::exp(0.5) + std::exp(0.25);
    CHECK(f[2] == Approx(std::exp(1.0) / z).margin(0.015));
    CHECK(f[4] == Approx(std::exp(0.5) / z).margin(0.015));
    CHECK(f[0] == Approx(std::exp(0.25) / z).margin(0.015));
    CHECK(f[1] == 0.0);
    CHECK(f[3] == 0.0);
  }
}

TEST_CASE("sample rejects bad arguments", "[decoder]") {
  Generator gen(6);
  CHECK_THROWS_WITH(SoftmaxDecoder::sample(zeros({5}), {}, gen),
                    Contains("sample") && Contains("[5]"));
  CHECK_THROWS_WITH(SoftmaxDecoder::sample(zeros({2, 5}), {.temperature = -1.0}, gen),
                    Contains("temperature"));
  CHECK_THROWS_WITH(SoftmaxDecoder::sample(zeros({2, 5}), {.top_k = -2}, gen), Contains("top_k"));
  // top_k larger than the vocabulary means all of it.
  CHECK(SoftmaxDecoder::sample(zeros({2, 5}), {.top_k = 50}, gen).shape() == Shape{2});
}

TEST_CASE("temperature inf samples uniformly among tokens, never a -inf (masked) one",
          "[decoder]") {
  // Issue 14: generate masks <pad>/<bos>/<eos> with -inf; at T = inf, (l - max) / T was NaN.
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor logits = from_vector<double>({-inf, 3.0, -inf, -2.0, 0.5, -inf}, {1, 6});
  Generator gen(11);
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 3000; ++i)
    ++counts[static_cast<std::size_t>(
        SoftmaxDecoder::sample(logits, {.temperature = inf}, gen).item())];
  CHECK(counts[0] == 0);
  CHECK(counts[2] == 0);
  CHECK(counts[5] == 0);
  for (int id : {1, 3, 4})
    CHECK(std::abs(counts[static_cast<std::size_t>(id)] - 1000) < 120);  // ~5 sigma
}
