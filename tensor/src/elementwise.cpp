// Elementwise ops: broadcasting, dtype checks, and the loop plumbing around the SIMD kernels.
// Floating data always goes through the xsimd kernels (strided rows are gathered into a small
// buffer first), so a value gets the same result whatever the layout; i64 uses plain loops.
#include "wengert/tensor/elementwise.hpp"

#include <atomic>
#include <cmath>
#include <limits>

#include "detail/integer_cast.hpp"
#include "detail/strided_loop.hpp"
#include "kernels/elementwise_kernels.hpp"

namespace wengert {

using kernels::BinaryOp;
using kernels::UnaryOp;

namespace {

constexpr std::int64_t kGatherChunk = 256;  // elements gathered per strided SIMD call

constexpr EnumName<BinaryOp> kBinaryOpNames[] = {
    {BinaryOp::add, "add"}, {BinaryOp::sub, "sub"},         {BinaryOp::mul, "mul"},
    {BinaryOp::div, "div"}, {BinaryOp::maximum, "maximum"}, {BinaryOp::minimum, "minimum"},
    {BinaryOp::pow, "pow"}};
constexpr EnumName<UnaryOp> kUnaryOpNames[] = {
    {UnaryOp::neg, "neg"},         {UnaryOp::abs, "abs"},   {UnaryOp::exp, "exp"},
    {UnaryOp::log, "log"},         {UnaryOp::sqrt, "sqrt"}, {UnaryOp::tanh, "tanh"},
    {UnaryOp::sigmoid, "sigmoid"}, {UnaryOp::relu, "relu"}};

std::string_view name_of(BinaryOp op) { return enum_name(kBinaryOpNames, op); }
std::string_view name_of(UnaryOp op) { return enum_name(kUnaryOpNames, op); }

void check_same_dtype(std::string_view op, const Tensor& a, const Tensor& b) {
  check(a.defined() && b.defined(), op, ": operand is an undefined tensor");
  check(a.dtype() == b.dtype(), op, ": dtype mismatch: ", dtype_name(a.dtype()), " ",
        ShapePrinter{a.shape()}, " vs ", dtype_name(b.dtype()), " ", ShapePrinter{b.shape()});
}

// Integer versions of the binary ops (no SIMD: i64 tensors hold token ids, not math). A result
// outside int64's range, a division by zero and a negative exponent are faults, never undefined
// behaviour: the loop (which may run on several threads, where an exception cannot leave)
// records one and binary() throws after it.
enum class IntegerFault : int { none, overflow, division_by_zero, negative_exponent };

IntegerFault integer_binary(BinaryOp op, std::int64_t a, std::int64_t b, std::int64_t& y) {
  using enum IntegerFault;
  switch (op) {
    case BinaryOp::add:
      return __builtin_add_overflow(a, b, &y) ? overflow : none;
    case BinaryOp::sub:
      return __builtin_sub_overflow(a, b, &y) ? overflow : none;
    case BinaryOp::mul:
      return __builtin_mul_overflow(a, b, &y) ? overflow : none;
    case BinaryOp::div:  // truncates toward zero, as C++ does
      if (b == 0) return division_by_zero;
      if (a == std::numeric_limits<std::int64_t>::min() && b == -1) return overflow;
      y = a / b;
      return none;
    case BinaryOp::maximum:
      y = std::max(a, b);
      return none;
    case BinaryOp::minimum:
      y = std::min(a, b);
      return none;
    case BinaryOp::pow: {  // by squaring: O(log b) steps, each checked
      if (b < 0) return negative_exponent;
      std::int64_t result = 1, base = a;
      for (;;) {
        if ((b & 1) != 0 && __builtin_mul_overflow(result, base, &result)) return overflow;
        b >>= 1;
        if (b == 0) break;
        // For |a| >= 2 a square that overflows would overflow the result too (the top bit of b
        // is still to come); for a in {-1, 0, 1} it never does.
        if (__builtin_mul_overflow(base, base, &base)) return overflow;
      }
      y = result;
      return none;
    }
  }
  return none;
}

[[noreturn]] void fail_integer(std::string_view op, IntegerFault fault, const Tensor& a,
                               const Tensor& b) {
  const char* what = fault == IntegerFault::division_by_zero ? "division by zero"
                     : fault == IntegerFault::negative_exponent
                         ? "a negative exponent (the power of an integer would not be one)"
                         : "a result outside int64's range [-2^63, 2^63 - 1]";
  fail(op, ": i64 ", ShapePrinter{a.shape()}, " and ", ShapePrinter{b.shape()}, ": ", what);
}

// Runs `row(out_ptr, a_ptr, a_step, b_ptr, b_step, n)` over the broadcast of a and b into a fresh
// tensor of `out_dtype`; `n`-element rows have steps in elements for a and b, out is contiguous.
template <class TOut, class TIn, class Row>
Tensor broadcast_apply(std::string_view op, const Tensor& a, const Tensor& b, DType out_dtype,
                       Row&& row) {
  const Shape shape = broadcast_shapes(op, a.shape(), b.shape());
  Tensor out = Tensor::empty(shape, out_dtype);
  const Tensor ea = a.expand(shape), eb = b.expand(shape);
  TOut* po = static_cast<TOut*>(out.storage()->data());
  const TIn* pa = static_cast<const TIn*>(ea.storage()->data());
  const TIn* pb = static_cast<const TIn*>(eb.storage()->data());
  detail::for_each_row<3>(shape, {&out.strides(), &ea.strides(), &eb.strides()},
                          {0, ea.offset(), eb.offset()}, [&](auto o, std::int64_t n, auto step) {
                            row(po + o[0], pa + o[1], step[1], pb + o[2], step[2], n);
                          });
  return out;
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const std::string_view name = name_of(op);
  check_same_dtype(name, a, b);
  std::atomic<IntegerFault> fault{IntegerFault::none};
  Tensor out = visit_dtype(a.dtype(), [&]<class T>() {
    return broadcast_apply<T, T>(
        name, a, b, a.dtype(),
        [&](T* y, const T* pa, std::int64_t sa, const T* pb, std::int64_t sb, std::int64_t n) {
          if constexpr (std::is_integral_v<T>) {
            for (std::int64_t i = 0; i < n; ++i) {
              std::int64_t result = 0;
              const IntegerFault f = integer_binary(op, pa[i * sa], pb[i * sb], result);
              if (f != IntegerFault::none) fault.store(f, std::memory_order_relaxed);
              y[i] = result;
            }
          } else if ((sa == 0 || sa == 1) && (sb == 0 || sb == 1)) {
            kernels::simd_binary<T>(op, pa, sa == 0, pb, sb == 0, y, n);
          } else {
            // A strided row: gather chunks into contiguous buffers, run the same SIMD kernel.
            T buffer_a[kGatherChunk], buffer_b[kGatherChunk];
            for (std::int64_t start = 0; start < n; start += kGatherChunk) {
              const std::int64_t m = std::min(kGatherChunk, n - start);
              for (std::int64_t i = 0; i < m; ++i) {
                buffer_a[i] = pa[(start + i) * sa];
                buffer_b[i] = pb[(start + i) * sb];
              }
              kernels::simd_binary<T>(op, buffer_a, false, buffer_b, false, y + start, m);
            }
          }
        });
  });
  if (fault.load() != IntegerFault::none) fail_integer(name, fault.load(), a, b);
  return out;
}

Tensor unary(UnaryOp op, const Tensor& x) {
  const std::string_view name = name_of(op);
  check(x.defined(), name, ": operand is an undefined tensor");
  if (x.dtype() == DType::i64) {
    check(op == UnaryOp::neg || op == UnaryOp::abs || op == UnaryOp::relu, name,
          ": needs a floating dtype (f32 or f64), got i64");
    const Tensor c = x.contiguous();
    Tensor out = Tensor::empty(x.shape(), DType::i64);
    const std::int64_t* px = c.data<std::int64_t>();
    std::int64_t* py = out.data<std::int64_t>();
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      // -(-2^63) is not an int64 (C++ leaves the negation undefined).
      check(op == UnaryOp::relu || px[i] != std::numeric_limits<std::int64_t>::min(), name,
            ": i64 ", ShapePrinter{x.shape()}, ": -2^63 has no positive counterpart in int64");
      py[i] = op == UnaryOp::neg   ? -px[i]
              : op == UnaryOp::abs ? std::abs(px[i])
                                   : std::max<std::int64_t>(px[i], 0);
    }
    return out;
  }
  return visit_floating(name, x.dtype(), [&]<class T>() {
    const Tensor c = x.contiguous();
    Tensor out = Tensor::empty(x.shape(), x.dtype());
    const Strides unit{1};
    detail::for_each_row<2>({x.numel()}, {&unit, &unit}, {0, 0}, [&](auto o, std::int64_t n, auto) {
      kernels::simd_unary<T>(op, c.data<T>() + o[1], out.data<T>() + o[0], n);
    });
    return out;
  });
}

// Comparisons and other exact scalar maps: plain loops, result in the operands' dtype.
template <class Compare>
Tensor compare(std::string_view name, const Tensor& a, const Tensor& b, Compare cmp) {
  check_same_dtype(name, a, b);
  return visit_dtype(a.dtype(), [&]<class T>() {
    return broadcast_apply<T, T>(
        name, a, b, a.dtype(),
        [&](T* y, const T* pa, std::int64_t sa, const T* pb, std::int64_t sb, std::int64_t n) {
          for (std::int64_t i = 0; i < n; ++i) y[i] = cmp(pa[i * sa], pb[i * sb]) ? T(1) : T(0);
        });
  });
}

template <class Map>
Tensor map_exact(std::string_view name, const Tensor& x, Map map) {
  check(x.defined(), name, ": operand is an undefined tensor");
  return visit_dtype(x.dtype(), [&]<class T>() {
    const Tensor c = x.contiguous();
    Tensor out = Tensor::empty(x.shape(), x.dtype());
    const T* px = c.data<T>();
    T* py = out.data<T>();
    for (std::int64_t i = 0; i < x.numel(); ++i) py[i] = map(px[i]);
    return out;
  });
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::div, a, b); }
Tensor pow(const Tensor& a, const Tensor& b) { return binary(BinaryOp::pow, a, b); }
Tensor pow(const Tensor& a, double exponent) { return pow(a, scalar(exponent, a.dtype())); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::maximum, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::minimum, a, b); }

Tensor eq(const Tensor& a, const Tensor& b) {
  return compare("eq", a, b, [](auto x, auto y) { return x == y; });
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return compare("ne", a, b, [](auto x, auto y) { return x != y; });
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return compare("lt", a, b, [](auto x, auto y) { return x < y; });
}
Tensor le(const Tensor& a, const Tensor& b) {
  return compare("le", a, b, [](auto x, auto y) { return x <= y; });
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return compare("gt", a, b, [](auto x, auto y) { return x > y; });
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return compare("ge", a, b, [](auto x, auto y) { return x >= y; });
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check(cond.defined(), "where: condition is an undefined tensor");
  check_same_dtype("where", a, b);
  const Shape shape =
      broadcast_shapes("where", cond.shape(), broadcast_shapes("where", a.shape(), b.shape()));
  Tensor out = Tensor::empty(shape, a.dtype());
  const Tensor ec = cond.expand(shape), ea = a.expand(shape), eb = b.expand(shape);
  visit_dtype(a.dtype(), [&]<class T>() {
    visit_dtype(cond.dtype(), [&]<class C>() {
      T* po = out.data<T>();
      const C* pc = static_cast<const C*>(ec.storage()->data());
      const T* pa = static_cast<const T*>(ea.storage()->data());
      const T* pb = static_cast<const T*>(eb.storage()->data());
      detail::for_each_row<4>(shape, {&out.strides(), &ec.strides(), &ea.strides(), &eb.strides()},
                              {0, ec.offset(), ea.offset(), eb.offset()},
                              [&](auto o, std::int64_t n, auto s) {
                                for (std::int64_t i = 0; i < n; ++i)
                                  po[o[0] + i] = pc[o[1] + i * s[1]] != C(0) ? pa[o[2] + i * s[2]]
                                                                             : pb[o[3] + i * s[3]];
                              });
    });
  });
  return out;
}

Tensor neg(const Tensor& x) { return unary(UnaryOp::neg, x); }
Tensor abs(const Tensor& x) { return unary(UnaryOp::abs, x); }
Tensor exp(const Tensor& x) { return unary(UnaryOp::exp, x); }
Tensor log(const Tensor& x) { return unary(UnaryOp::log, x); }
Tensor sqrt(const Tensor& x) { return unary(UnaryOp::sqrt, x); }
Tensor tanh(const Tensor& x) { return unary(UnaryOp::tanh, x); }
Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::sigmoid, x); }
Tensor relu(const Tensor& x) { return unary(UnaryOp::relu, x); }

Tensor sign(const Tensor& x) {
  return map_exact("sign", x, []<class T>(T v) { return T((v > T(0)) - (v < T(0))); });
}

Tensor clamp(const Tensor& x, double lo, double hi) {
  check(lo <= hi, "clamp: lower bound ", lo, " exceeds upper bound ", hi);
  return map_exact("clamp", x, [lo, hi]<class T>(T v) {
    if constexpr (std::is_integral_v<T>) {
      return std::min(std::max(v, detail::saturate_int64(lo)), detail::saturate_int64(hi));
    } else {
      if (v != v) return v;  // NaN stays NaN
      return std::min(std::max(v, static_cast<T>(lo)), static_cast<T>(hi));
    }
  });
}

Tensor log1p(const Tensor& x) {
  return map_exact("log1p", x, []<class T>(T v) { return std::log1p(v); });
}
Tensor expm1(const Tensor& x) {
  return map_exact("expm1", x, []<class T>(T v) { return std::expm1(v); });
}
Tensor sin(const Tensor& x) {
  return map_exact("sin", x, []<class T>(T v) { return std::sin(v); });
}
Tensor cos(const Tensor& x) {
  return map_exact("cos", x, []<class T>(T v) { return std::cos(v); });
}
Tensor erf(const Tensor& x) {
  return map_exact("erf", x, []<class T>(T v) { return std::erf(v); });
}
Tensor floor(const Tensor& x) {
  return map_exact("floor", x, []<class T>(T v) { return std::floor(v); });
}
Tensor ceil(const Tensor& x) {
  return map_exact("ceil", x, []<class T>(T v) { return std::ceil(v); });
}
Tensor round(const Tensor& x) {
  return map_exact("round", x, []<class T>(T v) { return std::nearbyint(v); });
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  check(a.shape() == b.shape(), "max_abs_diff: shapes differ: ", ShapePrinter{a.shape()}, " vs ",
        ShapePrinter{b.shape()});
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  double worst = 0;
  for (std::size_t i = 0; i < va.size(); ++i) {
    const double d = std::abs(va[i] - vb[i]);
    if (d != d) return std::numeric_limits<double>::quiet_NaN();
    worst = std::max(worst, d);
  }
  return worst;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  if (a.shape() != b.shape()) return false;
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  for (std::size_t i = 0; i < va.size(); ++i) {
    const bool nan_a = std::isnan(va[i]), nan_b = std::isnan(vb[i]);
    if (nan_a || nan_b) {
      if (!(equal_nan && nan_a && nan_b)) return false;
      continue;
    }
    if (va[i] == vb[i]) continue;                              // covers equal infinities
    if (std::isinf(va[i]) || std::isinf(vb[i])) return false;  // inf is close only to itself
    if (!(std::abs(va[i] - vb[i]) <= atol + rtol * std::abs(vb[i]))) return false;
  }
  return true;
}

bool equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  return a.to_vector<double>() == b.to_vector<double>();
}

}  // namespace wengert
