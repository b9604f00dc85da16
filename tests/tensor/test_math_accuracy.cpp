// Accuracy of exp, log, tanh and sigmoid (and exactness of sqrt) in ulps against long-double
// references, over wide ranges including +-inf, NaN, +-0, huge |x| and denormals. Both the SIMD
// path (contiguous data of length >= 16, lengths with tails) and the strided scalar path.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <sstream>

#include "reference.hpp"

using namespace wengert;

namespace {

constexpr std::uint64_t kMaxUlp = 4;

template <class T>
std::vector<T> linspace(double lo, double hi, int n) {
  std::vector<T> v;
  for (int i = 0; i < n; ++i) v.push_back(static_cast<T>(lo + (hi - lo) * i / (n - 1)));
  return v;
}

// Special values every function sees: zeros, infinities, NaN, denormals, extremes.
template <class T>
std::vector<T> specials() {
  using L = std::numeric_limits<T>;
  return {T(0),
          -T(0),
          L::infinity(),
          -L::infinity(),
          L::quiet_NaN(),
          L::denorm_min(),
          -L::denorm_min(),
          L::min() / T(3),
          -L::min() / T(3),
          L::min(),
          -L::min(),
          L::max(),
          -L::max(),
          T(1),
          T(-1),
          T(1e-20),
          T(-1e-20),
          T(1e-5),
          T(-1e-5),
          T(0.5),
          T(30),
          T(-30),
          T(1e30),
          T(-1e30)};
}

// Positive values spread log-uniformly from the smallest denormal to the largest float.
template <class T>
std::vector<T> log_uniform_positive(std::mt19937& rng, int n) {
  using L = std::numeric_limits<T>;
  std::uniform_real_distribution<double> e(std::log2(static_cast<double>(L::denorm_min())),
                                           std::log2(static_cast<double>(L::max())) - 0.01);
  std::vector<T> v;
  for (int i = 0; i < n; ++i) v.push_back(static_cast<T>(std::exp2(e(rng))));
  return v;
}

struct Report {
  std::uint64_t max_ulp = 0;
  std::string worst;
  void add(std::uint64_t d, const std::string& where) {
    if (d > max_ulp) max_ulp = d, worst = where;
  }
};

// Two reports: results for normal inputs with normal (or zero / inf / NaN) results, and those
// whose input or true result is denormal, so a flush-to-zero shows up on its own.
struct Reports {
  Report normal, denormal;
};

template <class T>
bool is_denormal(T x) {
  return x != 0 && std::isfinite(x) && std::abs(x) < std::numeric_limits<T>::min();
}

// Runs `op` on `xs` as one contiguous tensor and as a stride-2 view, compares every result with
// `want` (computed in long double, rounded to T), and returns the worst ulp distances seen.
// With `tiny_abs`, results whose true magnitude is below the smallest normal may instead be off
// by at most that smallest normal (absolute).
template <class T>
Reports measure(const std::vector<T>& xs, const std::function<Tensor(const Tensor&)>& op,
                const std::function<T(T)>& want, bool tiny_abs = false) {
  Reports r;
  const auto n = static_cast<std::int64_t>(xs.size());
  std::vector<T> padded(2 * xs.size(), T(7));
  for (std::size_t i = 0; i < xs.size(); ++i) padded[2 * i] = xs[i];
  const Tensor contiguous = from_vector(xs);
  const Tensor strided = from_vector(padded).slice(0, 0, 2 * n, 2);
  REQUIRE_FALSE(strided.is_contiguous());
  for (const Tensor* input : {&contiguous, &strided}) {
    const Tensor y = op(*input);
    REQUIRE(y.shape() == Shape{n});
    REQUIRE(y.dtype() == dtype_of<T>());
    const std::vector<T> got = y.template to_vector<T>();
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const T w = want(xs[i]);
      std::uint64_t d = ref::ulp_distance(got[i], w);
      if (tiny_abs && d > 0 && std::abs(w) < std::numeric_limits<T>::min() &&
          std::abs(got[i] - w) <= std::numeric_limits<T>::min())
        d = 0;
      if (d == 0) continue;
      std::ostringstream s;
      s.precision(std::numeric_limits<T>::max_digits10);
      s << (input == &contiguous ? "contiguous" : "strided") << " x=" << xs[i] << " got " << got[i]
        << " want " << w << " (" << d << " ulp)";
      (is_denormal(xs[i]) || is_denormal(w) ? r.denormal : r.normal).add(d, s.str());
    }
  }
  return r;
}

// The reference in long double, rounded to T.
template <class T>
std::function<T(T)> via_long_double(long double (*f)(long double)) {
  return [f](T x) { return static_cast<T>(f(static_cast<long double>(x))); };
}

#define CHECK_ULPS(name, reports, bound)                                                 \
  do {                                                                                   \
    {                                                                                    \
      INFO(name << " (normal range) worst: " << (reports).normal.worst);                 \
      CHECK((reports).normal.max_ulp <= (bound));                                        \
    }                                                                                    \
    {                                                                                    \
      INFO(name << " (denormal inputs or results) worst: " << (reports).denormal.worst); \
      CHECK((reports).denormal.max_ulp <= (bound));                                      \
    }                                                                                    \
  } while (false)

long double sigmoid_ref(long double x) {
  if (x >= 0) return 1.0L / (1.0L + std::exp(-x));
  const long double e = std::exp(x);
  return e / (1.0L + e);
}

// Builds the inputs of one function: a dense grid, random points, specials; the total length is
// 16k + 7 so SIMD rows end with a scalar tail.
template <class T>
std::vector<T> inputs(std::mt19937& rng, double lo, double hi) {
  std::vector<T> v = linspace<T>(lo, hi, 3001);
  std::uniform_real_distribution<double> u(lo, hi);
  for (int i = 0; i < 1000; ++i) v.push_back(static_cast<T>(u(rng)));
  for (T s : specials<T>()) v.push_back(s);
  while (v.size() % 16 != 7) v.push_back(static_cast<T>(u(rng)));
  return v;
}

template <class T>
void check_accuracy() {
  std::mt19937 rng(4242);
  const bool f32 = sizeof(T) == 4;
  INFO(dtype_name(dtype_of<T>()));
  auto expl_ = [](long double x) { return std::exp(x); };
  auto logl_ = [](long double x) { return std::log(x); };
  auto tanhl_ = [](long double x) { return std::tanh(x); };
  {
    const auto xs = inputs<T>(rng, f32 ? -110 : -760, f32 ? 95 : 720);
    const Reports r = measure<T>(
        xs, [](const Tensor& x) { return exp(x); }, via_long_double<T>(expl_));
    CHECK_ULPS("exp", r, kMaxUlp);
  }
  {
    std::vector<T> xs = log_uniform_positive<T>(rng, 4000);
    for (T s : specials<T>()) xs.push_back(s);
    for (T x : linspace<T>(0.5, 2.0, 1001)) xs.push_back(x);
    while (xs.size() % 16 != 7) xs.push_back(T(3));
    const Reports r = measure<T>(
        xs, [](const Tensor& x) { return log(x); }, via_long_double<T>(logl_));
    CHECK_ULPS("log", r, kMaxUlp);
  }
  {
    auto xs = inputs<T>(rng, -25, 25);
    for (T x : linspace<T>(-0.01, 0.01, 501)) xs.push_back(x);
    const Reports r = measure<T>(
        xs, [](const Tensor& x) { return tanh(x); }, via_long_double<T>(tanhl_));
    CHECK_ULPS("tanh", r, kMaxUlp);
  }
  {
    const auto xs = inputs<T>(rng, f32 ? -110 : -760, f32 ? 110 : 760);
    const Reports r = measure<T>(
        xs, [](const Tensor& x) { return sigmoid(x); }, via_long_double<T>(sigmoid_ref), true);
    CHECK_ULPS("sigmoid", r, kMaxUlp);
  }
  {
    std::vector<T> xs = log_uniform_positive<T>(rng, 2000);
    for (T s : specials<T>()) xs.push_back(s);
    // IEEE sqrt is correctly rounded: compare with std::sqrt in T itself, exactly.
    const Reports r = measure<T>(
        xs, [](const Tensor& x) { return sqrt(x); }, [](T x) { return std::sqrt(x); });
    CHECK_ULPS("sqrt", r, 0u);
  }
}

}  // namespace

TEST_CASE("exp, log, tanh, sigmoid are within a few ulp in f32", "[tensor][accuracy]") {
  check_accuracy<float>();
}

TEST_CASE("exp, log, tanh, sigmoid are within a few ulp in f64", "[tensor][accuracy]") {
  check_accuracy<double>();
}

TEST_CASE("special values of the transcendental functions", "[tensor][accuracy]") {
  for (DType dt : {DType::f32, DType::f64}) {
    INFO(dtype_name(dt));
    const double inf = std::numeric_limits<double>::infinity();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // 20 elements: the SIMD path; a 2-step slice: the scalar path.
    std::vector<double> v{inf, -inf, nan, 0.0, -1.0, 1000.0, -1000.0, 1.0};
    v.resize(20, 0.25);
    const Tensor x = ref::make({20}, v, dt);
    const Tensor xs = ref::make(
                          {40},
                          [&] {
                            std::vector<double> p(40, 5.0);
                            for (std::size_t i = 0; i < 20; ++i) p[2 * i] = v[i];
                            return p;
                          }(),
                          dt)
                          .slice(0, 0, 40, 2);
    for (const Tensor* t : {&x, &xs}) {
      const auto e = exp(*t).to_vector<double>();
      CHECK(e[0] == inf);
      CHECK(e[1] == 0.0);
      CHECK(std::isnan(e[2]));
      CHECK(e[3] == 1.0);
      CHECK(e[5] == inf);
      CHECK(e[6] == 0.0);
      const auto l = log(*t).to_vector<double>();
      CHECK(l[0] == inf);
      CHECK(std::isnan(l[1]));
      CHECK(std::isnan(l[2]));
      CHECK(l[3] == -inf);
      CHECK(std::isnan(l[4]));
      CHECK(l[7] == 0.0);
      const auto th = tanh(*t).to_vector<double>();
      CHECK(th[0] == 1.0);
      CHECK(th[1] == -1.0);
      CHECK(std::isnan(th[2]));
      CHECK(th[3] == 0.0);
      CHECK(th[5] == 1.0);
      CHECK(th[6] == -1.0);
      const auto s = sigmoid(*t).to_vector<double>();
      CHECK(s[0] == 1.0);
      CHECK(s[1] == 0.0);
      CHECK(std::isnan(s[2]));
      CHECK(s[3] == 0.5);
      CHECK(s[5] == 1.0);
      CHECK(s[6] == 0.0);
      const auto r = relu(*t).to_vector<double>();
      CHECK(r[0] == inf);
      CHECK(r[1] == 0.0);
    }
  }
}
