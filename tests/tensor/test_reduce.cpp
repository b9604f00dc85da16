// Reductions (sum, mean, max, min over any axis set with keepdim; sum_of_squares; argmax /
// argmin; logsumexp; cumsum), softmax / log_softmax and sum_to, against loops in f64 / long double
// over random shapes, axis sets and layouts; stability for large inputs and -inf entries.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <random>

#include "reference.hpp"

using namespace wengert;
using ref::Array;
using ref::Index;

namespace {

// Output shape of reducing `s` over the (normalized, sorted) axes.
Shape reduced_shape(const Shape& s, const Index& axes, bool keepdim) {
  Shape out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool r = std::find(axes.begin(), axes.end(), static_cast<std::int64_t>(i)) != axes.end();
    if (!r)
      out.push_back(s[i]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

// Groups the input elements by output element: groups[out_flat] = input values in row-major order.
std::vector<std::vector<double>> groups(const Array& a, const Index& axes, bool keepdim,
                                        Shape& out_shape) {
  out_shape = reduced_shape(a.shape, axes, keepdim);
  std::vector<std::vector<double>> g(static_cast<std::size_t>(ref::numel(out_shape)));
  for (std::int64_t flat = 0; flat < ref::numel(a.shape); ++flat) {
    const Index idx = ref::unravel(flat, a.shape);
    Index o;
    for (std::size_t i = 0; i < idx.size(); ++i) {
      const bool r =
          std::find(axes.begin(), axes.end(), static_cast<std::int64_t>(i)) != axes.end();
      if (!r)
        o.push_back(idx[i]);
      else if (keepdim)
        o.push_back(0);
    }
    g[static_cast<std::size_t>(ref::ravel(o, out_shape))].push_back(
        a.v[static_cast<std::size_t>(flat)]);
  }
  return g;
}

Array reduce_ref(const Array& a, const Index& axes, bool keepdim,
                 const std::function<double(const std::vector<double>&)>& f) {
  Array out;
  const auto g = groups(a, axes, keepdim, out.shape);
  for (const auto& values : g) out.v.push_back(f(values));
  return out;
}

double ref_sum(const std::vector<double>& v) {
  long double s = 0;
  for (double x : v) s += x;
  return static_cast<double>(s);
}
double ref_mean(const std::vector<double>& v) { return ref_sum(v) / static_cast<double>(v.size()); }
double ref_max(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }
double ref_min(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }
double ref_lse(const std::vector<double>& v) {
  const double m = ref_max(v);
  if (std::isinf(m)) return m;
  long double s = 0;
  for (double x : v) s += std::exp(static_cast<long double>(x - m));
  return static_cast<double>(m + std::log(s));
}

// A random axis list for rank r: empty (all), or a random subset written with random signs.
Index random_axes(std::mt19937& rng, std::int64_t rank, Index& normalized) {
  normalized.clear();
  Index axes;
  if (rank == 0 || rng() % 4 == 0) {
    for (std::int64_t i = 0; i < rank; ++i) normalized.push_back(i);
    return axes;
  }
  for (std::int64_t i = 0; i < rank; ++i)
    if (rng() % 2) normalized.push_back(i);
  if (normalized.empty())
    normalized.push_back(static_cast<std::int64_t>(rng() % static_cast<unsigned>(rank)));
  for (auto a : normalized) axes.push_back(rng() % 2 ? a - rank : a);
  std::shuffle(axes.begin(), axes.end(), rng);
  return axes;
}

std::string axes_str(const Index& axes) { return shape_str(axes); }

// One random case of an op along an axis: a shape of rank 1 + iter % 4, one of the layouts, small
// integer values in [lo, hi] (exact sums in every dtype, frequent ties) and an axis of it.
struct AxisCase {
  Shape shape;
  ref::Layout layout;
  Tensor x;
  std::int64_t axis;
};
AxisCase random_axis_case(std::mt19937& rng, DType dt, int iter, double lo, double hi) {
  const int rank = 1 + iter % 4;
  AxisCase c;
  c.shape = ref::random_shape(rng, rank);
  c.layout = ref::kLayouts[rng() % 5];
  c.x = ref::random_tensor(rng, c.shape, dt, c.layout, lo, hi, ref::Values::Integer);
  c.axis = static_cast<std::int64_t>(rng() % static_cast<unsigned>(rank));
  return c;
}

}  // namespace

TEST_CASE("sum, mean, max, min over random axis sets, keepdim, layouts and dtypes",
          "[tensor][reduce]") {
  std::mt19937 rng(555);
  struct Op {
    const char* name;
    std::function<Tensor(const Tensor&, const Axes&, bool)> op;
    std::function<double(const std::vector<double>&)> want;
    bool integers;  // defined for i64
  };
  const std::vector<Op> ops{
      {"sum", [](auto& x, auto& a, bool k) { return sum(x, a, k); }, ref_sum, true},
      {"mean", [](auto& x, auto& a, bool k) { return mean(x, a, k); }, ref_mean, false},
      {"max", [](auto& x, auto& a, bool k) { return max(x, a, k); }, ref_max, true},
      {"min", [](auto& x, auto& a, bool k) { return min(x, a, k); }, ref_min, true},
      {"logsumexp", [](auto& x, auto& a, bool k) { return logsumexp(x, a, k); }, ref_lse, false},
  };
  for (const Op& op : ops)
    for (DType dt : {DType::f32, DType::f64, DType::i64}) {
      if (dt == DType::i64 && !op.integers) continue;
      for (int iter = 0; iter < 40; ++iter) {
        const std::int64_t rank = iter % 5;
        const Shape s = ref::random_shape(rng, static_cast<int>(rank));
        const auto layout = ref::kLayouts[rng() % 5];
        const Tensor x = ref::random_tensor(rng, s, dt, layout, -3, 3);
        Index norm;
        const Index axes = random_axes(rng, rank, norm);
        const bool keepdim = rng() % 2;
        INFO(op.name << " " << dtype_name(dt) << " " << shape_str(s) << " "
                     << ref::layout_name(layout) << " axes " << axes_str(axes) << " keepdim "
                     << keepdim);
        const Tensor got = op.op(x, axes, keepdim);
        CHECK(got.dtype() == dt);
        const Array want = ref::round_to(reduce_ref(ref::read(x), norm, keepdim, op.want), dt);
        const double rtol = dt == DType::f32 ? 2e-6 : dt == DType::f64 ? 1e-12 : 0.0;
        const double atol = dt == DType::f32 ? 1e-6 : dt == DType::f64 ? 1e-12 : 0.0;
        CHECK(ref::mismatch(ref::read(got), want, rtol, atol) == "");
      }
    }
}

TEST_CASE("reductions of long contiguous rows (SIMD) and of the whole tensor", "[tensor][reduce]") {
  std::mt19937 rng(556);
  for (DType dt : {DType::f32, DType::f64}) {
    INFO(dtype_name(dt));
    const Tensor x = ref::random_tensor(rng, {7, 1031}, dt, ref::Layout::Contiguous, -1, 1);
    const Array a = ref::read(x);
    for (const Index& axes : {Index{}, Index{0}, Index{1}, Index{-1}, Index{0, 1}}) {
      Index norm = axes.empty() ? Index{0, 1} : axes;
      for (auto& ax : norm) ax = ax < 0 ? ax + 2 : ax;
      INFO("axes " << axes_str(axes));
      const double rtol = dt == DType::f32 ? 2e-6 : 1e-12;
      CHECK(ref::mismatch(ref::read(sum(x, axes)),
                          ref::round_to(reduce_ref(a, norm, false, ref_sum), dt), rtol,
                          1e-6) == "");
      CHECK(ref::mismatch(ref::read(mean(x, axes, true)),
                          ref::round_to(reduce_ref(a, norm, true, ref_mean), dt), rtol,
                          1e-9) == "");
      CHECK(ref::mismatch(ref::read(max(x, axes)), reduce_ref(a, norm, false, ref_max), 0, 0) ==
            "");
      CHECK(ref::mismatch(ref::read(min(x, axes)), reduce_ref(a, norm, false, ref_min), 0, 0) ==
            "");
    }
    // Sums accumulate in double: one large value plus many small ones of the opposite sign.
    std::vector<double> v(4096, 1.0);
    v[0] = 1e8;
    const Tensor big = ref::make({4096}, v, dt);
    // (In f32 accumulation every +1 would be lost and the sum would stay 1e8.)
    const double exact = 1e8 + 4095;
    CHECK(sum(big).item() ==
          (dt == DType::f32 ? static_cast<double>(static_cast<float>(exact)) : exact));
    CHECK(sum(big).dim() == 0);
    CHECK(sum(big, {}, true).shape() == Shape{1});
  }
  // Reducing an empty axis gives the identity of the sum.
  CHECK(sum(zeros({0, 3}), {0}).to_vector<float>() == std::vector<float>{0, 0, 0});
  CHECK(sum(zeros({0, 3})).item() == 0.0);
  CHECK(sum(zeros({2, 0}, DType::i64), {1}, true).shape() == Shape{2, 1});
  // i64 sums are exact beyond 2^53.
  const std::int64_t big = (std::int64_t{1} << 60);
  Tensor xi = from_vector(std::vector<std::int64_t>{big, 1, 2, -3, 7});
  CHECK(sum(xi).to_vector<std::int64_t>()[0] == big + 7);
  CHECK(max(xi).to_vector<std::int64_t>()[0] == big);
}

// Every reduction folds a row with eight running values and a tail (detail::fold_row): row
// lengths 0..40 and 1031 cover each remainder mod 8, and every layout covers unit and other
// strides.
TEST_CASE("sum, max, softmax and sum_of_squares for every row length mod 8 and any layout",
          "[tensor][reduce]") {
  std::mt19937 rng(560);
  std::vector<std::int64_t> lengths(41);
  std::iota(lengths.begin(), lengths.end(), 0);
  lengths.push_back(1031);
  for (DType dt : {DType::f32, DType::f64, DType::i64})
    for (std::int64_t n : lengths)
      for (auto layout : ref::kLayouts) {
        const Shape s{3, n};
        INFO(dtype_name(dt) << " " << shape_str(s) << " " << ref::layout_name(layout));
        const Tensor x = ref::random_tensor(rng, s, dt, layout, -3, 3, ref::Values::Integer);
        const Array a = ref::read(x);
        // The naive loops: f64 (exact here: small integers), row by row.
        long double squares = 0;
        for (double v : a.v) squares += static_cast<long double>(v) * v;
        CHECK(sum_of_squares(x) == static_cast<double>(squares));
        CHECK(ref::mismatch(ref::read(sum(x, {1})), reduce_ref(a, {1}, false, ref_sum), 0, 0) ==
              "");
        if (n == 0) continue;
        CHECK(ref::mismatch(ref::read(max(x, {1})), reduce_ref(a, {1}, false, ref_max), 0, 0) ==
              "");
        if (dt == DType::i64) continue;
        // softmax's row max and row sum: the values are exp(x_i - lse(row)).
        Array want{s, {}};
        const Array lse = reduce_ref(a, {1}, false, ref_lse);
        for (std::size_t i = 0; i < a.v.size(); ++i)
          want.v.push_back(std::exp(a.v[i] - lse.v[i / static_cast<std::size_t>(n)]));
        const double rtol = dt == DType::f32 ? 1e-5 : 1e-12;
        CHECK(ref::mismatch(ref::read(softmax(x, 1)), want, rtol, rtol * 1e-2) == "");
      }
  // Real values: the sum of squares accumulates in double, like the naive loop.
  for (DType dt : {DType::f32, DType::f64}) {
    const Tensor x = ref::random_tensor(rng, {37, 29}, dt, ref::Layout::StridedTransposed);
    long double squares = 0;
    for (double v : ref::read(x).v) squares += static_cast<long double>(v) * v;
    CHECK(sum_of_squares(x) == Approx(static_cast<double>(squares)).epsilon(1e-13));
  }
  CHECK(sum_of_squares(scalar(-3.0)) == 9.0);
  CHECK(sum_of_squares(zeros({0, 4})) == 0.0);
}

TEST_CASE("argmax and argmin return the first extremum along an axis", "[tensor][reduce]") {
  std::mt19937 rng(557);
  for (DType dt : {DType::f32, DType::f64, DType::i64})
    for (int iter = 0; iter < 40; ++iter) {
      // Small integers: ties are frequent, so "first" matters.
      const auto [s, layout, x, axis] = random_axis_case(rng, dt, iter, -2, 2);
      const auto rank = static_cast<std::int64_t>(s.size());
      const std::int64_t axis_arg = rng() % 2 ? axis - rank : axis;
      const bool keepdim = rng() % 2;
      INFO(dtype_name(dt) << " " << shape_str(s) << " " << ref::layout_name(layout) << " axis "
                          << axis_arg << " keepdim " << keepdim);
      auto first_index = [](const std::vector<double>& v, bool biggest) {
        std::size_t best = 0;
        for (std::size_t i = 1; i < v.size(); ++i)
          if (biggest ? v[i] > v[best] : v[i] < v[best]) best = i;
        return static_cast<double>(best);
      };
      const Array a = ref::read(x);
      const Tensor amax = argmax(x, axis_arg, keepdim), amin = argmin(x, axis_arg, keepdim);
      CHECK(amax.dtype() == DType::i64);
      CHECK(amin.dtype() == DType::i64);
      CHECK(ref::mismatch(
                ref::read(amax),
                reduce_ref(a, {axis}, keepdim, [&](auto& v) { return first_index(v, true); }), 0,
                0) == "");
      CHECK(ref::mismatch(
                ref::read(amin),
                reduce_ref(a, {axis}, keepdim, [&](auto& v) { return first_index(v, false); }), 0,
                0) == "");
    }
  // Ties: the first index wins, also on long contiguous rows.
  std::vector<double> v(100, 3.0);
  v[37] = 5.0;
  v[64] = 5.0;
  v[50] = -1.0;
  v[90] = -1.0;
  const Tensor row = ref::make({1, 100}, v, DType::f32);
  CHECK(argmax(row, 1).to_vector<std::int64_t>() == std::vector<std::int64_t>{37});
  CHECK(argmin(row, -1).to_vector<std::int64_t>() == std::vector<std::int64_t>{50});
  CHECK(argmax(row, 1, true).shape() == Shape{1, 1});
}

TEST_CASE("logsumexp is stable for large and -inf inputs", "[tensor][reduce]") {
  for (DType dt : {DType::f32, DType::f64}) {
    INFO(dtype_name(dt));
    const double inf = std::numeric_limits<double>::infinity();
    Tensor x = ref::make({2, 3}, {1000, 1000, 1000, -1000, -1001, -1002}, dt);
    const auto l = logsumexp(x, {1}).to_vector<double>();
    CHECK(l[0] == Approx(1000 + std::log(3.0)).epsilon(1e-6));
    CHECK(l[1] == Approx(-1000 + std::log(1 + std::exp(-1.0) + std::exp(-2.0))).epsilon(1e-6));
    Tensor y = ref::make({2, 3}, {-inf, 0, -inf, -inf, -inf, -inf}, dt);
    const auto ly = logsumexp(y, {-1}, true).to_vector<double>();
    CHECK(ly[0] == Approx(0.0).margin(1e-7));
    CHECK(ly[1] == -inf);
    CHECK(logsumexp(ref::make({20}, std::vector<double>(20, 500), dt)).item() ==
          Approx(500 + std::log(20.0)).epsilon(1e-6));
  }
}

TEST_CASE("softmax and log_softmax along any axis", "[tensor][reduce][softmax]") {
  std::mt19937 rng(558);
  for (DType dt : {DType::f32, DType::f64})
    for (int iter = 0; iter < 40; ++iter) {
      const int rank = 1 + iter % 4;
      const Shape s = iter % 10 == 9 ? Shape{3, 67} : ref::random_shape(rng, rank);
      const auto layout = ref::kLayouts[rng() % 5];
      const double shift = iter % 3 == 0 ? 1000.0 : 0.0;  // stability: huge logits
      const Tensor x = ref::random_tensor(rng, s, dt, layout, shift - 5, shift + 5);
      const auto r = static_cast<std::int64_t>(s.size());
      const auto axis = static_cast<std::int64_t>(rng() % static_cast<unsigned>(r));
      const std::int64_t axis_arg = rng() % 2 ? axis - r : axis;
      INFO(dtype_name(dt) << " " << shape_str(s) << " " << ref::layout_name(layout) << " axis "
                          << axis_arg << " shift " << shift);
      const Array a = ref::read(x);
      // Reference: per element, the lane along `axis` through it.
      Array want_sm{s, {}}, want_lsm{s, {}};
      for (std::int64_t flat = 0; flat < ref::numel(s); ++flat) {
        Index idx = ref::unravel(flat, s);
        std::vector<double> lane;
        for (std::int64_t k = 0; k < s[static_cast<std::size_t>(axis)]; ++k) {
          Index j = idx;
          j[static_cast<std::size_t>(axis)] = k;
          lane.push_back(a.v[static_cast<std::size_t>(ref::ravel(j, s))]);
        }
        const double lse = ref_lse(lane), xi = a.v[static_cast<std::size_t>(flat)];
        want_sm.v.push_back(std::exp(xi - lse));
        want_lsm.v.push_back(xi - lse);
      }
      const Tensor sm = softmax(x, axis_arg), lsm = log_softmax(x, axis_arg);
      CHECK(sm.dtype() == dt);
      CHECK(lsm.dtype() == dt);
      const double rtol = dt == DType::f32 ? 1e-5 : 1e-12;
      CHECK(ref::mismatch(ref::read(sm), want_sm, rtol, rtol * 1e-2) == "");
      CHECK(ref::mismatch(ref::read(lsm), want_lsm, rtol, rtol) == "");
      // Lanes sum to one.
      const Array sums = ref::read(sum(sm, {axis_arg}));
      for (double v : sums.v) CHECK(v == Approx(1.0).epsilon(dt == DType::f32 ? 1e-5 : 1e-12));
    }
  // Masked entries (-inf) get probability 0; the default axis is the last one.
  const double inf = std::numeric_limits<double>::infinity();
  Tensor m = ref::make({2, 3}, {0, -inf, 0, 1, 2, 3}, DType::f64);
  const auto p = softmax(m).to_vector<double>();
  CHECK(p[0] == Approx(0.5));
  CHECK(p[1] == 0.0);
  CHECK(p[2] == Approx(0.5));
  CHECK(log_softmax(m).to_vector<double>()[1] == -inf);
  CHECK(log_softmax(m).to_vector<double>()[0] == Approx(-std::log(2.0)));
  // Softmax of one element is 1; softmax is shift-invariant.
  CHECK(softmax(ref::make({4, 1}, {3, -7, 1e4, 0}, DType::f32), 1).to_vector<float>() ==
        std::vector<float>{1, 1, 1, 1});
  Tensor row = ref::make({5}, {1, 2, 3, 4, 5}, DType::f64);
  CHECK(allclose(softmax(row, 0), softmax(row + 1e4, 0), 1e-9, 1e-12));
}

TEST_CASE("sum_to inverts broadcasting", "[tensor][reduce]") {
  std::mt19937 rng(559);
  for (DType dt : {DType::f32, DType::f64, DType::i64})
    for (int iter = 0; iter < 40; ++iter) {
      const Shape s = ref::random_shape(rng, iter % 5);
      const Shape target = ref::broadcastable_to(rng, s);
      const auto layout = ref::kLayouts[rng() % 5];
      INFO(dtype_name(dt) << " " << shape_str(s) << " -> " << shape_str(target) << " "
                          << ref::layout_name(layout));
      const Tensor x = ref::random_tensor(rng, s, dt, layout);
      const Array a = ref::read(x);
      Array want{target, std::vector<double>(static_cast<std::size_t>(ref::numel(target)), 0.0)};
      for (std::int64_t flat = 0; flat < ref::numel(s); ++flat)
        want.v[static_cast<std::size_t>(ref::broadcast_source(ref::unravel(flat, s), target))] +=
            a.v[static_cast<std::size_t>(flat)];
      const Tensor got = sum_to(x, target);
      CHECK(got.dtype() == dt);
      CHECK(ref::mismatch(ref::read(got), ref::round_to(want, dt), ref::rtol_for(dt) * 4, 1e-6) ==
            "");
    }
  Tensor x = ones({2, 3, 4}, DType::f64);
  CHECK(sum_to(x, {}).item() == 24.0);
  CHECK(sum_to(x, {}).dim() == 0);
  CHECK(sum_to(x, {1, 4}).shape() == Shape{1, 4});
  CHECK(sum_to(x, {1, 4}).to_vector<double>() == std::vector<double>(4, 6.0));
  CHECK(sum_to(x, {3, 1}).to_vector<double>() == std::vector<double>(3, 8.0));
  CHECK(equal(sum_to(x, {2, 3, 4}), x));
  CHECK_THROWS_AS(sum_to(x, {5}), Error);
}

TEST_CASE("cumsum along every axis, forward and reverse, any layout and dtype, against a loop",
          "[tensor][reduce]") {
  std::mt19937 rng(911);
  for (DType dt : {DType::f32, DType::f64, DType::i64})
    for (int iter = 0; iter < 40; ++iter) {
      const auto [s, layout, x, axis] = random_axis_case(rng, dt, iter, -3, 3);
      const auto rank = static_cast<std::int64_t>(s.size());
      const bool reverse = rng() % 2;
      INFO(dtype_name(dt) << " " << shape_str(s) << " " << ref::layout_name(layout) << " axis "
                          << axis << (reverse ? " reverse" : ""));
      const Array a = ref::read(x);
      Array want{s, std::vector<double>(a.v.size(), 0.0)};
      for (std::int64_t flat = 0; flat < ref::numel(s); ++flat) {
        const Index at = ref::unravel(flat, s);
        Index from = at;
        for (std::int64_t i = 0; i < s[static_cast<std::size_t>(axis)]; ++i) {
          const std::int64_t j = at[static_cast<std::size_t>(axis)];
          if (reverse ? i < j : i > j) continue;
          from[static_cast<std::size_t>(axis)] = i;
          want.v[static_cast<std::size_t>(flat)] +=
              a.v[static_cast<std::size_t>(ref::ravel(from, s))];
        }
      }
      const Tensor got = cumsum(x, rng() % 2 ? axis - rank : axis, reverse);
      CHECK(got.dtype() == dt);
      CHECK(ref::mismatch(ref::read(got), want, 0, 0) == "");  // integers: exact in every dtype
    }
  // A long axis runs in O(n): 10^6 elements, y_j = j + 1 for ones (exact in f64), and the reverse.
  const Tensor ones_row = ones({1, 1000000}, DType::f64);
  const auto forward = cumsum(ones_row, 1).to_vector<double>();
  const auto backward = cumsum(ones_row, -1, true).to_vector<double>();
  CHECK(forward.front() == 1);
  CHECK(forward.back() == 1000000);
  CHECK(backward.front() == 1000000);
  CHECK(backward.back() == 1);
  CHECK(cumsum(zeros({0, 3}), 0).shape() == Shape{0, 3});
  CHECK_THROWS_WITH(cumsum(zeros({2, 3}), 2), Catch::Contains("cumsum"));
}
