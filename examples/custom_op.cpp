// Writing your own op: the forward computes a Tensor, record() puts one entry on the tape with the
// inputs, what the backward reads, and the backward rule. Two ops from user code:
//   fused_silu(x) = x * sigmoid(x) as one entry (the composed silu() records two);
//     dx = dy * s * (1 + x (1 - s)), s = sigmoid(x)
//   round_ste(x) = round(x) forward, identity backward (the straight-through estimator)
//   sincos(x) = (sin x, cos x), one entry with two outputs (record_outputs):
//     dx = dsin * cos x - dcos * sin x
// The entry keeps its own copy of the op name, so a name built at run time is fine.
// Written as [](auto& c), a rule runs on Tensors in an ordinary backward and on Vars under
// create_graph, so both ops also have second derivatives (gradgradcheck below).
#include <iostream>
#include <wengert/autograd.hpp>

using namespace wengert;

Var fused_silu(const Var& x) {
  return record("fused_silu", x.value() * sigmoid(x.value()), {x}, kSaveIn0, [](auto& c) {
    const auto s = sigmoid(c.in(0));  // recomputed rather than saved: one tensor less to keep
    c.add(0, c.dout * s * (1.0 + c.in(0) * (1.0 - s)));
  });
}

Var round_ste(const Var& x) {
  return record("round_ste", round(x.value()), {x}, kSaveNone, [](auto& c) { c.add(0, c.dout); });
}

std::vector<Var> sincos(const Var& x) {
  return record_outputs("sincos", {sin(x.value()), cos(x.value())}, {x}, kSaveIn0,
                        [](auto& c, auto& d) {  // d[k]: the gradient of output k
                          c.add(0, d[0] * cos(c.in(0)) - d[1] * sin(c.in(0)));
                        });
}

int main() {
  Generator gen(3);
  Var x(normal({2, 3}, 0.0, 2.0, gen), true, "x");
  const std::vector<Var> sc = sincos(x);
  Var y = sum(fused_silu(x) * round_ste(x * 2.0) * 0.5 + sc[0] * sc[1]);
  y.set_name("y");
  std::cout << "tape:\n" << Tape::current() << "\n" << to_dot(y) << "\n";
  y.backward();
  std::cout << "dy/dx = " << x.grad() << "\n\n";

  // The derivatives are checked numerically in f64: first and second order for fused_silu and
  // sincos. round_ste is deliberately not the derivative of round (which is 0 almost everywhere),
  // so it is checked against its intended identity gradient instead.
  const Tensor x64 = normal({3, 4}, 0.0, 2.0, gen, DType::f64);
  auto f = [](const std::vector<Var>& v) {
    const std::vector<Var> p = sincos(v[0]);
    return fused_silu(v[0]) + p[0] * p[1];
  };
  const GradcheckResult first = gradcheck(f, {x64});
  const GradcheckResult second = gradgradcheck(f, {x64});
  std::cout << first.report() << "\n" << second.report() << "\n";
  const bool same = allclose(fused_silu(Var(x64)).value(), silu(Var(x64)).value());

  Var z(x64, true);
  const Tensor ste =
      grad({sum(round_ste(z) * z)}, {z})[0].value();  // d/dz (round(z) z) = z + round(z)
  const Tensor expected = x64 + round_ste(Var(x64)).value();
  const bool ste_ok = allclose(ste, expected);
  std::cout << "straight-through gradient " << (ste_ok ? "as intended" : "WRONG") << "\n";
  return first.ok && second.ok && ste_ok && same ? 0 : 1;
}
