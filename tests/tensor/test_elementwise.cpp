// Elementwise ops against plain f64 loops: one table line per op, random shapes of rank 0..4,
// random broadcast patterns and random layouts (transposed, sliced with steps, expanded), in
// f32 / f64 / i64; long contiguous rows for the SIMD kernels; where, operators, allclose & co.
#include <catch2/catch.hpp>
#include <functional>
#include <random>

#include "reference.hpp"

using namespace wengert;
using ref::Array;

namespace {

struct BinaryCase {
  const char* name;
  std::function<Tensor(const Tensor&, const Tensor&)> op;
  std::function<double(double, double)> want;
  std::vector<DType> dtypes;
  double a_lo, a_hi, b_lo, b_hi;  // value ranges (integers for i64: rounded inward)
  bool b_nonzero = false;         // keep |b| >= 0.5 (division)
};

double cmp(bool c) { return c ? 1.0 : 0.0; }

const std::vector<DType> kAll{DType::f32, DType::f64, DType::i64};
const std::vector<DType> kFloat{DType::f32, DType::f64};
const std::vector<DType> kInt{DType::i64};

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](auto& a, auto& b) { return add(a, b); }, [](double a, double b) { return a + b; },
       kAll, -3, 3, -3, 3},
      {"sub", [](auto& a, auto& b) { return sub(a, b); }, [](double a, double b) { return a - b; },
       kAll, -3, 3, -3, 3},
      {"mul", [](auto& a, auto& b) { return mul(a, b); }, [](double a, double b) { return a * b; },
       kAll, -3, 3, -3, 3},
      {"div", [](auto& a, auto& b) { return div(a, b); }, [](double a, double b) { return a / b; },
       kFloat, -3, 3, -3, 3, true},
      // i64 division on non-negative numerators, where truncating and flooring agree.
      {"div", [](auto& a, auto& b) { return div(a, b); },
       [](double a, double b) { return std::floor(a / b); }, kInt, 0, 20, 1, 5},
      {"pow", [](auto& a, auto& b) { return pow(a, b); },
       [](double a, double b) { return std::pow(a, b); }, kFloat, 0.1, 3, -2.5, 2.5},
      {"maximum", [](auto& a, auto& b) { return maximum(a, b); },
       [](double a, double b) { return std::max(a, b); }, kAll, -3, 3, -3, 3},
      {"minimum", [](auto& a, auto& b) { return minimum(a, b); },
       [](double a, double b) { return std::min(a, b); }, kAll, -3, 3, -3, 3},
      // Comparisons use small integers so ties are common.
      {"eq", [](auto& a, auto& b) { return eq(a, b); },
       [](double a, double b) { return cmp(a == b); }, kAll, -2, 2, -2, 2},
      {"ne", [](auto& a, auto& b) { return ne(a, b); },
       [](double a, double b) { return cmp(a != b); }, kAll, -2, 2, -2, 2},
      {"lt", [](auto& a, auto& b) { return lt(a, b); },
       [](double a, double b) { return cmp(a < b); }, kAll, -2, 2, -2, 2},
      {"le", [](auto& a, auto& b) { return le(a, b); },
       [](double a, double b) { return cmp(a <= b); }, kAll, -2, 2, -2, 2},
      {"gt", [](auto& a, auto& b) { return gt(a, b); },
       [](double a, double b) { return cmp(a > b); }, kAll, -2, 2, -2, 2},
      {"ge", [](auto& a, auto& b) { return ge(a, b); },
       [](double a, double b) { return cmp(a >= b); }, kAll, -2, 2, -2, 2},
      {"operator+", [](auto& a, auto& b) { return a + b; },
       [](double a, double b) { return a + b; }, kAll, -3, 3, -3, 3},
      {"operator-", [](auto& a, auto& b) { return a - b; },
       [](double a, double b) { return a - b; }, kAll, -3, 3, -3, 3},
      {"operator*", [](auto& a, auto& b) { return a * b; },
       [](double a, double b) { return a * b; }, kAll, -3, 3, -3, 3},
      {"operator/", [](auto& a, auto& b) { return a / b; },
       [](double a, double b) { return a / b; }, kFloat, -3, 3, -3, 3, true},
  };
}

bool is_comparison(const std::string& name) {
  return name == "eq" || name == "ne" || name == "lt" || name == "le" || name == "gt" ||
         name == "ge";
}

// Shapes that exercise the SIMD rows: long contiguous runs and short tails.
const std::vector<std::pair<Shape, Shape>> kLongShapes{
    {{1037}, {1037}}, {{17}, {17}}, {{33, 31}, {31}}, {{31, 16}, {31, 1}}, {{3, 64, 5}, {64, 1}},
    {{2, 129}, {}},   {{}, {100}},  {{0, 3}, {3}},    {{16}, {1}}};

}  // namespace

TEST_CASE("binary ops match the reference over random shapes, broadcasts and layouts",
          "[tensor][elementwise]") {
  std::mt19937 rng(1234);
  for (const BinaryCase& c : binary_cases()) {
    for (DType dt : c.dtypes) {
      const bool integral = is_comparison(c.name);
      auto run = [&](const Shape& sa, const Shape& sb, ref::Layout la, ref::Layout lb) {
        INFO(c.name << " " << dtype_name(dt) << " " << shape_str(sa) << " (" << ref::layout_name(la)
                    << ") with " << shape_str(sb) << " (" << ref::layout_name(lb) << ")");
        using ref::Values;
        const Values ka = integral ? Values::Integer : Values::Real;
        const Values kb = integral ? Values::Integer : c.b_nonzero ? Values::NonZero : Values::Real;
        const Tensor a = ref::random_tensor(rng, sa, dt, la, c.a_lo, c.a_hi, ka);
        const Tensor b = ref::random_tensor(rng, sb, dt, lb, c.b_lo, c.b_hi, kb);
        const Array ra = ref::read(a), rb = ref::read(b);
        const Tensor out = c.op(a, b);
        CHECK(out.dtype() == dt);
        const Array want = ref::round_to(ref::binary(ra, rb, c.want), dt);
        const double rtol =
            std::string(c.name) == "pow" ? 8 * ref::rtol_for(dt) : ref::rtol_for(dt);
        CHECK(ref::mismatch(ref::read(out), want, rtol, 0.0) == "");
        // Inputs are left untouched.
        CHECK(ref::read(a).v == ra.v);
      };
      for (int iter = 0; iter < 24; ++iter) {
        const Shape out = ref::random_shape(rng, iter % 5);
        const Shape sa = ref::broadcastable_to(rng, out), sb = ref::broadcastable_to(rng, out);
        run(iter % 3 == 0 ? out : sa, sb, ref::kLayouts[rng() % 5], ref::kLayouts[rng() % 5]);
      }
      for (const auto& [sa, sb] : kLongShapes) {
        run(sa, sb, ref::Layout::Contiguous, ref::Layout::Contiguous);
        run(sb, sa, ref::Layout::Contiguous, ref::Layout::Contiguous);
        run(sa, sb, ref::Layout::Strided, ref::Layout::Transposed);
      }
    }
  }
}

TEST_CASE("binary ops with a double and aliased operands", "[tensor][elementwise]") {
  std::mt19937 rng(8);
  for (DType dt : kAll) {
    INFO(dtype_name(dt));
    const Tensor x = ref::random_tensor(rng, {4, 5}, dt, ref::Layout::Transposed, 1, 4);
    const Array a = ref::read(x);
    auto expect = [&](const Tensor& got, auto f) {
      CHECK(got.dtype() == dt);
      CHECK(ref::mismatch(ref::read(got), ref::round_to(ref::unary(a, f), dt), ref::rtol_for(dt),
                          0) == "");
    };
    expect(x + 2.0, [](double v) { return v + 2; });
    expect(x - 2.0, [](double v) { return v - 2; });
    expect(x * 3.0, [](double v) { return v * 3; });
    expect(2.0 + x, [](double v) { return 2 + v; });
    expect(2.0 - x, [](double v) { return 2 - v; });
    expect(3.0 * x, [](double v) { return 3 * v; });
    expect(-x, [](double v) { return -v; });
    expect(x + x, [](double v) { return v + v; });
    expect(x * x, [](double v) { return v * v; });
    expect(x - x, [](double) { return 0.0; });
    if (dt != DType::i64) {
      expect(x / 4.0, [](double v) { return v / 4; });
      expect(1.0 / x, [](double v) { return 1 / v; });
      expect(pow(x, 2.0), [](double v) { return v * v; });
      expect(pow(x, 0.5), [](double v) { return std::sqrt(v); });
      expect(pow(x, -1.0), [](double v) { return 1 / v; });
      expect(pow(x, 3.0), [](double v) { return v * v * v; });
      expect(pow(x, 0.0), [](double) { return 1.0; });
    }
  }
}

TEST_CASE("unary ops match the reference", "[tensor][elementwise]") {
  struct UnaryCase {
    const char* name;
    std::function<Tensor(const Tensor&)> op;
    std::function<double(double)> want;
    std::vector<DType> dtypes;
    double lo, hi;
  };
  const std::vector<UnaryCase> cases{
      {"neg", [](auto& x) { return neg(x); }, [](double v) { return -v; }, kAll, -5, 5},
      {"abs", [](auto& x) { return abs(x); }, [](double v) { return std::abs(v); }, kAll, -5, 5},
      {"exp", [](auto& x) { return exp(x); }, [](double v) { return std::exp(v); }, kFloat, -10,
       10},
      {"log", [](auto& x) { return log(x); }, [](double v) { return std::log(v); }, kFloat, 0.01,
       100},
      {"sqrt", [](auto& x) { return sqrt(x); }, [](double v) { return std::sqrt(v); }, kFloat, 0,
       100},
      {"tanh", [](auto& x) { return tanh(x); }, [](double v) { return std::tanh(v); }, kFloat, -6,
       6},
      {"sigmoid", [](auto& x) { return sigmoid(x); },
       [](double v) { return 1 / (1 + std::exp(-v)); }, kFloat, -12, 12},
      {"relu", [](auto& x) { return relu(x); }, [](double v) { return v > 0 ? v : 0.0; }, kAll, -5,
       5},
      {"sign", [](auto& x) { return sign(x); },
       [](double v) { return v > 0   ? 1.0
                             : v < 0 ? -1.0
                                     : 0.0; }, kAll, -3, 3},
      {"clamp", [](auto& x) { return clamp(x, -1.5, 2.0); },
       [](double v) { return std::clamp(v, -1.5, 2.0); }, kFloat, -4, 4},
      {"clamp", [](auto& x) { return clamp(x, -1, 2); },
       [](double v) { return std::clamp(v, -1.0, 2.0); }, kInt, -4, 4},
  };
  std::mt19937 rng(77);
  for (const auto& c : cases)
    for (DType dt : c.dtypes) {
      auto run = [&](const Shape& s, ref::Layout layout) {
        INFO(c.name << " " << dtype_name(dt) << " " << shape_str(s) << " "
                    << ref::layout_name(layout));
        const Tensor x = ref::random_tensor(rng, s, dt, layout, c.lo, c.hi);
        const Array a = ref::read(x);
        const Tensor y = c.op(x);
        CHECK(y.dtype() == dt);
        CHECK(y.shape() == s);
        const double rtol = dt == DType::f32 ? 1e-6 : dt == DType::f64 ? 1e-14 : 0.0;
        CHECK(ref::mismatch(ref::read(y), ref::round_to(ref::unary(a, c.want), dt), rtol,
                            dt == DType::f32 ? 1e-7 : 1e-15) == "");
        CHECK(ref::read(x).v == a.v);
      };
      for (int iter = 0; iter < 15; ++iter)
        run(ref::random_shape(rng, iter % 5), ref::kLayouts[iter % 5]);
      for (const Shape& s :
           {Shape{1037}, Shape{17}, Shape{15}, Shape{16}, Shape{3, 67}, Shape{0}}) {
        run(s, ref::Layout::Contiguous);
        run(s, ref::Layout::Strided);
      }
    }
  // sign and relu keep zeros at zero (and sign(-0.0) is 0).
  CHECK(sign(ref::make({3}, {-0.0, 0.0, -2}, DType::f64)).to_vector<double>() ==
        std::vector<double>{0, 0, -1});
  CHECK(relu(ref::make({2}, {-0.0, -1}, DType::f32)).to_vector<float>() ==
        std::vector<float>{0, 0});
}

TEST_CASE("where broadcasts condition and both branches", "[tensor][elementwise]") {
  std::mt19937 rng(99);
  for (DType dt : kAll)
    for (int iter = 0; iter < 30; ++iter) {
      const Shape out = ref::random_shape(rng, iter % 5);
      const Shape sc = ref::broadcastable_to(rng, out), sa = ref::broadcastable_to(rng, out),
                  sb = iter % 2 ? out : ref::broadcastable_to(rng, out);
      INFO(dtype_name(dt) << " cond " << shape_str(sc) << " a " << shape_str(sa) << " b "
                          << shape_str(sb));
      const Tensor cond = ref::random_tensor(rng, sc, dt, ref::kLayouts[iter % 5], 0, 1);
      Array rc = ref::read(cond);
      const Tensor a = ref::random_tensor(rng, sa, dt, ref::kLayouts[(iter + 1) % 5]);
      const Tensor b = ref::random_tensor(rng, sb, dt, ref::kLayouts[(iter + 2) % 5]);
      const Array ra = ref::read(a), rb = ref::read(b);
      const Shape s = ref::broadcast(ref::broadcast(sc, sa), sb);
      Array want{s, {}};
      for (std::int64_t flat = 0; flat < ref::numel(s); ++flat) {
        const auto idx = ref::unravel(flat, s);
        const double c = rc.v[static_cast<std::size_t>(ref::broadcast_source(idx, sc))];
        want.v.push_back(c != 0 ? ra.v[static_cast<std::size_t>(ref::broadcast_source(idx, sa))]
                                : rb.v[static_cast<std::size_t>(ref::broadcast_source(idx, sb))]);
      }
      const Tensor got = where(cond, a, b);
      CHECK(got.dtype() == dt);
      CHECK(ref::mismatch(ref::read(got), want, 0, 0) == "");
    }
  // The mask of a comparison selects directly.
  Tensor x = tensor({-1, 2, -3, 4}), z = zeros({4});
  CHECK(where(gt(x, z), x, z).to_vector<float>() == std::vector<float>{0, 2, 0, 4});
  CHECK(where(scalar(1.0), x, z).to_vector<float>() == x.to_vector<float>());
}

TEST_CASE("comparisons yield 1/0 in the operand dtype and multiply as masks",
          "[tensor][elementwise]") {
  Tensor a = tensor({1, 2, 3}, DType::i64), b = tensor({3, 2, 1}, DType::i64);
  CHECK(lt(a, b).dtype() == DType::i64);
  CHECK(lt(a, b).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 0});
  Tensor fa = tensor({1.5, 2, 3}), fb = tensor({2});
  CHECK(ge(fa, fb).dtype() == DType::f32);
  CHECK(ge(fa, fb).to_vector<float>() == std::vector<float>{0, 1, 1});
  CHECK(mul(fa, ge(fa, fb)).to_vector<float>() == std::vector<float>{0, 2, 3});
  // NaN compares unequal to everything.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor n = tensor({nan, 1.0}, DType::f64), m = tensor({nan, 1.0}, DType::f64);
  CHECK(eq(n, m).to_vector<double>() == std::vector<double>{0, 1});
  CHECK(ne(n, m).to_vector<double>() == std::vector<double>{1, 0});
  CHECK(lt(n, m).to_vector<double>() == std::vector<double>{0, 0});
}

TEST_CASE("allclose, equal, max_abs_diff", "[tensor][elementwise]") {
  Tensor a = tensor({1.0, 2.0, 3.0}, DType::f64);
  Tensor b = tensor({1.0, 2.0 + 1e-9, 3.0}, DType::f64);
  CHECK(allclose(a, b));
  CHECK_FALSE(allclose(a, tensor({1.0, 2.1, 3.0}, DType::f64)));
  CHECK(allclose(a, tensor({1.0, 2.1, 3.0}, DType::f64), 0.0, 0.11));
  CHECK(allclose(a, tensor({1.0, 2.1, 3.0}, DType::f64), 0.06, 0.0));
  CHECK_FALSE(allclose(a, tensor({1.0, 2.0}, DType::f64)));  // shapes differ
  CHECK_FALSE(equal(a, b));
  CHECK(equal(a, a.clone()));
  CHECK(equal(a, tensor({{1, 2, 3}}, DType::f64).t().t().select(0, 0)));
  CHECK(equal(full({2, 3}, 1.0, DType::f64), scalar(1.0, DType::f64).expand({2, 3})));
  CHECK_FALSE(equal(a, tensor({1, 2, 3}, DType::f32)));    // dtypes differ
  CHECK_FALSE(equal(a, tensor({{1, 2, 3}}, DType::f64)));  // shapes differ
  CHECK(max_abs_diff(a, tensor({1.5, 2.0, 0.0}, DType::f64)) == 3.0);
  CHECK(max_abs_diff(a, a) == 0.0);
  // Compared in logical order, whatever the layout.
  Tensor m = tensor({{1, 2}, {3, 4}}, DType::f64);
  CHECK(equal(m.t().contiguous(), tensor({{1, 3}, {2, 4}}, DType::f64)));
  CHECK(allclose(m.t(), tensor({{1, 3}, {2, 4}}, DType::f64)));
  CHECK(max_abs_diff(m.t(), tensor({{1, 3}, {2, 4}}, DType::f64)) == 0.0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor n = tensor({nan, 1.0}, DType::f64);
  CHECK_FALSE(allclose(n, n));
  CHECK(allclose(n, n, 1e-5, 1e-8, true));
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(allclose(tensor({inf, 1}, DType::f64), tensor({inf, 1}, DType::f64)));
  // Like NumPy: an infinity is close only to the same infinity (|a - b| <= atol + rtol * |b|
  // must not hold trivially because rtol * inf = inf).
  CHECK_FALSE(allclose(tensor({inf, 1}, DType::f64), tensor({-inf, 1}, DType::f64)));
  CHECK_FALSE(allclose(tensor({1.0}, DType::f64), tensor({inf}, DType::f64)));
  CHECK_FALSE(allclose(tensor({inf}, DType::f64), tensor({1.0}, DType::f64)));
}
