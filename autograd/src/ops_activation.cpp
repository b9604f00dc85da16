// Activation functions and the remaining unary functions. The hand-written ones have a rule;
// the others are compositions (so their second derivatives come from their parts).
#include <cmath>
#include <limits>
#include <numbers>
#include <wengert/autograd/ops.hpp>
#include <wengert/autograd/record.hpp>

#include "rule_ops.hpp"

namespace wengert {

Var log1p(const Var& x) {
  return record("log1p", log1p(x.value()), {x}, kSaveIn0,
                [](auto& c) { c.add(0, c.dout / (c.in(0) + 1.0)); });
}

Var expm1(const Var& x) {
  return record("expm1", expm1(x.value()), {x}, kSaveOut,
                [](auto& c) { c.add(0, c.dout * (c.out() + 1.0)); });
}

Var sin(const Var& x) {
  return record("sin", sin(x.value()), {x}, kSaveIn0,
                [](auto& c) { c.add(0, c.dout * cos(c.in(0))); });
}

Var cos(const Var& x) {
  return record("cos", cos(x.value()), {x}, kSaveIn0,
                [](auto& c) { c.add(0, -(c.dout * sin(c.in(0)))); });
}

// d erf(x) / dx = 2 / sqrt(pi) * exp(-x^2)
Var erf(const Var& x) {
  return record("erf", erf(x.value()), {x}, kSaveIn0, [](auto& c) {
    c.add(0, c.dout * exp(-(c.in(0) * c.in(0))) * (2.0 / std::sqrt(std::numbers::pi)));
  });
}

namespace {
// Piecewise-constant functions: their gradient is zero (as in PyTorch), not undefined.
Var step_function(const char* op, Tensor y, const Var& x) {
  return record(op, std::move(y), {x}, kSaveNone, [](auto& c) { c.add(0, c.dout * 0.0); });
}
}  // namespace

Var round(const Var& x) { return step_function("round", round(x.value()), x); }
Var floor(const Var& x) { return step_function("floor", floor(x.value()), x); }
Var ceil(const Var& x) { return step_function("ceil", ceil(x.value()), x); }

Var clamp_min(const Var& x, double lo) {
  return clamp(x, lo, std::numeric_limits<double>::infinity());
}
Var clamp_max(const Var& x, double hi) {
  return clamp(x, -std::numeric_limits<double>::infinity(), hi);
}

namespace {
Tensor positive(const Var& x) { return gt(x.value(), scalar(0.0, x.dtype())); }
}  // namespace

Var silu(const Var& x) { return x * sigmoid(x); }

Var leaky_relu(const Var& x, double negative_slope) {
  check(std::isfinite(negative_slope), "leaky_relu: negative_slope must be finite, got ",
        negative_slope);
  return where(positive(x), x, x * negative_slope);
}

// The exp branch is evaluated on min(x, 0) so that where() never multiplies a zero by an inf.
Var elu(const Var& x, double alpha) {
  check(std::isfinite(alpha), "elu: alpha must be finite, got ", alpha);
  return where(positive(x), x, expm1(clamp_max(x, 0.0)) * alpha);
}

// softplus(x) = log(1 + exp(beta x)) / beta, and x itself where beta x > threshold.
Var softplus(const Var& x, double beta, double threshold) {
  // (beta = 0 would divide by zero: inf everywhere)
  check(std::isfinite(beta) && beta != 0 && !std::isnan(threshold), "softplus: beta ", beta,
        " must be finite and non-zero, threshold ", threshold, " a number");
  const Var bx = x * beta;
  const Tensor linear = gt(bx.value(), scalar(threshold, x.dtype()));
  return where(linear, x, log1p(exp(clamp_max(bx, threshold))) / beta);
}

// erf form: x/2 (1 + erf(x / sqrt 2)); tanh form: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
Var gelu(const Var& x, GeluApproximation approximate) {
  if (approximate == GeluApproximation::none)
    return x * 0.5 * (1.0 + erf(x * (1.0 / std::numbers::sqrt2)));
  constexpr double kCubic = 0.044715;  // from Hendrycks & Gimpel 2016
  const double scale = std::sqrt(2.0 / std::numbers::pi);
  return x * 0.5 * (1.0 + tanh((x + pow(x, 3.0) * kCubic) * scale));
}

}  // namespace wengert
