// xoshiro256** (Blackman & Vigna 2018), seeded by splitmix64: small, fast and fully specified,
// so the same seed gives the same numbers everywhere. Tensors are filled in row-major order on
// one thread, so the stream does not depend on the thread count.
#include "wengert/tensor/random.hpp"

#include <cmath>
#include <numbers>

namespace wengert {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Generator::Generator(std::uint64_t seed) {
  for (auto& word : s_) word = splitmix64(seed);
}

std::uint64_t Generator::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Generator::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

// Box-Muller: sqrt(-2 ln u1) cos(2 pi u2) with u1 in (0, 1]. One normal per call (no cached
// second value), so the state alone determines the stream.
double Generator::normal() {
  const double u1 = 1.0 - uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// Lemire's nearly-divisionless method would be faster; rejection keeps it obviously unbiased.
std::uint64_t Generator::below(std::uint64_t n) {
  check(n > 0, "Generator::below: n must be positive");
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x;
  do x = next_u64();
  while (x >= limit);
  return x % n;
}

Tensor uniform(const Shape& shape, double lo, double hi, Generator& gen, DType dtype) {
  check(is_floating(dtype), "uniform: needs a floating dtype, got ", dtype_name(dtype));
  check(lo <= hi && std::isfinite(hi - lo), "uniform: the range [", lo, ", ", hi,
        ") must be finite with lo <= hi");
  Tensor out = Tensor::empty(shape, dtype);
  visit_floating("uniform", dtype, [&]<class T>() {
    T* p = out.data<T>();
    for (std::int64_t i = 0; i < out.numel(); ++i)
      p[i] = static_cast<T>(lo + (hi - lo) * gen.uniform());
  });
  return out;
}

Tensor normal(const Shape& shape, double mean, double stddev, Generator& gen, DType dtype) {
  check(is_floating(dtype), "normal: needs a floating dtype, got ", dtype_name(dtype));
  check(std::isfinite(mean) && std::isfinite(stddev) && stddev >= 0, "normal: mean ", mean,
        " and stddev ", stddev, " must be finite, with stddev >= 0");
  Tensor out = Tensor::empty(shape, dtype);
  visit_floating("normal", dtype, [&]<class T>() {
    T* p = out.data<T>();
    for (std::int64_t i = 0; i < out.numel(); ++i)
      p[i] = static_cast<T>(mean + stddev * gen.normal());
  });
  return out;
}

Tensor randint(std::int64_t lo, std::int64_t hi, const Shape& shape, Generator& gen) {
  check(lo < hi, "randint: empty range [", lo, ", ", hi, ")");
  Tensor out = Tensor::empty(shape, DType::i64);
  std::int64_t* p = out.data<std::int64_t>();
  // In uint64, where the span of any non-empty int64 range (up to 2^64 - 1) fits and lo + draw
  // wraps back to the right int64 (hi - lo in int64 would overflow for ranges wider than 2^63).
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  for (std::int64_t i = 0; i < out.numel(); ++i)
    p[i] = static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + gen.below(span));
  return out;
}

Tensor bernoulli(const Tensor& probs, Generator& gen) {
  check(probs.defined() && is_floating(probs.dtype()), "bernoulli: probs must be floating");
  const std::vector<double> p = probs.to_vector<double>();
  std::vector<double> draws(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    check(p[i] >= 0.0 && p[i] <= 1.0, "bernoulli: probability ", p[i], " at ", i,
          " is outside [0, 1]");
    draws[i] = gen.uniform() < p[i] ? 1.0 : 0.0;
  }
  return from_vector<double>(std::move(draws), probs.shape()).to(probs.dtype());
}

Tensor multinomial(const Tensor& weights, std::int64_t num_samples, bool replacement,
                   Generator& gen) {
  check(weights.defined() && is_floating(weights.dtype()) &&
            (weights.dim() == 1 || weights.dim() == 2),
        "multinomial: weights must be floating [C] or [N, C]");
  const std::int64_t classes = weights.size(-1), rows = weights.dim() == 2 ? weights.size(0) : 1;
  check(num_samples > 0, "multinomial: num_samples must be positive, got ", num_samples);
  const std::vector<double> w = weights.to_vector<double>();
  std::vector<std::int64_t> out;
  out.reserve(static_cast<std::size_t>(rows * num_samples));
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<double> row(w.begin() + r * classes, w.begin() + (r + 1) * classes);
    std::int64_t nonzero = 0;
    for (double v : row) {
      check(v >= 0.0 && std::isfinite(v), "multinomial: row ", r, " has weight ", v);
      nonzero += v > 0.0;
    }
    check(nonzero > 0, "multinomial: row ", r, " has no positive weight");
    check(replacement || num_samples <= nonzero, "multinomial: cannot draw ", num_samples,
          " distinct classes from ", nonzero, " with positive weight in row ", r);
    for (std::int64_t s = 0; s < num_samples; ++s) {
      double total = 0.0;
      for (double v : row) total += v;
      // Inverse CDF: the first class whose cumulative weight exceeds u * total.
      const double u = gen.uniform() * total;
      double cumulative = 0.0;
      std::int64_t pick = -1;
      for (std::int64_t c = 0; c < classes; ++c) {
        cumulative += row[c];
        if (row[c] > 0.0) pick = c;  // the last positive class absorbs rounding at the end
        if (u < cumulative) break;
      }
      out.push_back(pick);
      if (!replacement) row[pick] = 0.0;
    }
  }
  Shape shape = weights.dim() == 2 ? Shape{rows, num_samples} : Shape{num_samples};
  return from_vector<std::int64_t>(std::move(out), std::move(shape));
}

}  // namespace wengert
