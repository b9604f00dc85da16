// Elementwise ops: arithmetic with broadcasting, unary functions, where, maximum / minimum.
// Each op: forward through the tensor kernel, what it saves, and its backward right below.
// Broadcast inputs need nothing special: BackwardCtx::add sums the gradient down to their shape.
#include <wengert/autograd/ops.hpp>
#include <wengert/autograd/record.hpp>

#include "rule_ops.hpp"

namespace wengert {

// --- arithmetic ---

Var add(const Var& a, const Var& b) {
  return record("add", add(a.value(), b.value()), {a, b}, kSaveNone, [](auto& c) {
    c.add(0, c.dout);
    c.add(1, c.dout);
  });
}

Var sub(const Var& a, const Var& b) {
  return record("sub", sub(a.value(), b.value()), {a, b}, kSaveNone, [](auto& c) {
    c.add(0, c.dout);
    if (c.needs(1)) c.add(1, neg(c.dout));
  });
}

Var mul(const Var& a, const Var& b) {
  return record("mul", mul(a.value(), b.value()), {a, b}, kSaveIn0 | kSaveIn1, [](auto& c) {
    if (c.needs(0)) c.add(0, c.dout * c.in(1));
    if (c.needs(1)) c.add(1, c.dout * c.in(0));
  });
}

// y = a / b:  da = dy / b,  db = -dy * a / b^2 = -dy * y / b
Var div(const Var& a, const Var& b) {
  return record("div", div(a.value(), b.value()), {a, b}, kSaveIn1 | kSaveOut, [](auto& c) {
    const auto da = c.dout / c.in(1);
    if (c.needs(1)) c.add(1, -(da * c.out()));
    c.add(0, da);
  });
}

// y = a^b:  da = dy * b * a^(b-1),  db = dy * y * ln a (taken as 0 where a <= 0, like PyTorch at a
// = 0)
Var pow(const Var& a, const Var& b) {
  return record("pow", pow(a.value(), b.value()), {a, b}, kSaveIn0 | kSaveIn1 | kSaveOut,
                [](auto& c) {
                  const auto x = c.in(0), p = c.in(1);
                  if (c.needs(0)) c.add(0, c.dout * p * pow(x, p - 1.0));
                  if (c.needs(1)) {
                    const Tensor& x_value = rule::value_of(x);
                    const Tensor positive = gt(x_value, scalar(0.0, x_value.dtype()));
                    const auto safe_x = where(positive, x, c.constant(ones({}, x_value.dtype())));
                    c.add(1, c.dout * c.out() * log(safe_x) * positive);
                  }
                });
}

Var pow(const Var& x, double p) {
  return record("pow_scalar", pow(x.value(), p), {x}, kSaveIn0,
                [p](auto& c) { c.add(0, c.dout * (p * pow(c.in(0), p - 1.0))); });
}

Var add(const Var& x, double s) {
  return record("add_scalar", x.value() + s, {x}, kSaveNone, [](auto& c) { c.add(0, c.dout); });
}

Var mul(const Var& x, double s) {
  return record("mul_scalar", x.value() * s, {x}, kSaveNone,
                [s](auto& c) { c.add(0, c.dout * s); });
}

Var neg(const Var& x) {
  return record("neg", neg(x.value()), {x}, kSaveNone, [](auto& c) { c.add(0, -c.dout); });
}

Var operator+(const Var& a, const Var& b) { return add(a, b); }
Var operator-(const Var& a, const Var& b) { return sub(a, b); }
Var operator*(const Var& a, const Var& b) { return mul(a, b); }
Var operator/(const Var& a, const Var& b) { return div(a, b); }
Var operator-(const Var& x) { return neg(x); }
Var operator+(const Var& x, double s) { return add(x, s); }
Var operator+(double s, const Var& x) { return add(x, s); }
Var operator-(const Var& x, double s) { return add(x, -s); }
Var operator-(double s, const Var& x) { return add(neg(x), s); }
Var operator*(const Var& x, double s) { return mul(x, s); }
Var operator*(double s, const Var& x) { return mul(x, s); }
Var operator/(const Var& x, double s) { return mul(x, 1.0 / s); }
Var operator/(double s, const Var& x) { return mul(pow(x, -1.0), s); }

Var operator+(const Var& a, const Tensor& b) { return add(a, Var(b)); }
Var operator+(const Tensor& a, const Var& b) { return add(Var(a), b); }
Var operator-(const Var& a, const Tensor& b) { return sub(a, Var(b)); }
Var operator-(const Tensor& a, const Var& b) { return sub(Var(a), b); }
Var operator*(const Var& a, const Tensor& b) { return mul(a, Var(b)); }
Var operator*(const Tensor& a, const Var& b) { return mul(Var(a), b); }
Var operator/(const Var& a, const Tensor& b) { return div(a, Var(b)); }
Var operator/(const Tensor& a, const Var& b) { return div(Var(a), b); }

// --- unary ---

Var exp(const Var& x) {
  return record("exp", exp(x.value()), {x}, kSaveOut, [](auto& c) { c.add(0, c.dout * c.out()); });
}

Var log(const Var& x) {
  return record("log", log(x.value()), {x}, kSaveIn0, [](auto& c) { c.add(0, c.dout / c.in(0)); });
}

Var sqrt(const Var& x) {
  return record("sqrt", sqrt(x.value()), {x}, kSaveOut,
                [](auto& c) { c.add(0, c.dout * 0.5 / c.out()); });
}

Var tanh(const Var& x) {
  return record("tanh", tanh(x.value()), {x}, kSaveOut,
                [](auto& c) { c.add(0, c.dout * (1.0 - c.out() * c.out())); });
}

// Hand-written for speed (one kernel, saves y); its composed twin 1 / (1 + exp(-x)) is tested.
Var sigmoid(const Var& x) {
  return record("sigmoid", sigmoid(x.value()), {x}, kSaveOut,
                [](auto& c) { c.add(0, c.dout * c.out() * (1.0 - c.out())); });
}

Var relu(const Var& x) {
  return record("relu", relu(x.value()), {x}, kSaveOut, [](auto& c) {
    const Tensor& y = rule::value_of(c.out());
    c.add(0, c.dout * gt(y, scalar(0.0, y.dtype())));
  });
}

Var abs(const Var& x) {
  return record("abs", abs(x.value()), {x}, kSaveIn0,
                [](auto& c) { c.add(0, c.dout * sign(rule::value_of(c.in(0)))); });
}

Var clamp(const Var& x, double lo, double hi) {
  return record("clamp", clamp(x.value(), lo, hi), {x}, kSaveIn0, [lo, hi](auto& c) {
    const Tensor& v = rule::value_of(c.in(0));
    c.add(0, c.dout * ge(v, scalar(lo, v.dtype())) * le(v, scalar(hi, v.dtype())));
  });
}

Var where(const Tensor& cond, const Var& a, const Var& b) {
  return record("where", where(cond, a.value(), b.value()), {a, b}, kSaveNone,
                [](auto& c) {
                  const Tensor& mask = c.saved("condition");
                  const auto zero = c.constant(zeros({}, rule::value_of(c.dout).dtype()));
                  if (c.needs(0)) c.add(0, where(mask, c.dout, zero));
                  if (c.needs(1)) c.add(1, where(mask, zero, c.dout));
                },
                {{"condition", cond}});
}

namespace {
// maximum (sign = +1) or minimum (sign = -1): the winner takes dy, ties split it in half.
Var extremum(const char* op, const Var& a, const Var& b, bool is_max) {
  Tensor y = is_max ? maximum(a.value(), b.value()) : minimum(a.value(), b.value());
  return record(op, std::move(y), {a, b}, kSaveIn0 | kSaveIn1, [is_max](auto& c) {
    const Tensor &x0 = rule::value_of(c.in(0)), &x1 = rule::value_of(c.in(1));
    const Tensor wins = is_max ? gt(x0, x1) : lt(x0, x1);
    const Tensor share = wins + eq(x0, x1) * 0.5;  // weight of a in dy
    const auto da = c.dout * share;
    if (c.needs(1)) c.add(1, c.dout - da);
    c.add(0, da);
  });
}
}  // namespace

Var maximum(const Var& a, const Var& b) { return extremum("maximum", a, b, true); }
Var minimum(const Var& a, const Var& b) { return extremum("minimum", a, b, false); }

}  // namespace wengert
