// Second order: create_graph, grad() options, differentiable_grad, and refusing first-order rules.
#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace wengert;
using namespace wengert::testing;

TEST_CASE("Hessian-vector product of sum(x^3) is 6 x v", "[second_order]") {
  const Tensor x0 = r({5}), v = r({5});
  Var x(x0, true);
  const Var g = grad({sum(pow(x, 3.0))}, {x}, {}, {.create_graph = true})[0];
  REQUIRE(g.requires_grad());
  CHECK(allclose(g.value(), x0 * x0 * 3.0));
  const Var hvp = grad({sum(g * v)}, {x})[0];
  CHECK(allclose(hvp.value(), x0 * v * 6.0, 1e-12, 1e-12));
}

TEST_CASE("third derivative through tanh", "[second_order]") {
  // y = tanh(x): y' = 1 - y^2, y'' = -2 y y', y''' = -2 (y'^2 + y y'') = -2 y' (1 - 3 y^2)
  const double x0 = 0.4, y = std::tanh(x0), d1 = 1 - y * y, d3 = -2 * d1 * (1 - 3 * y * y);
  Var x(scalar(x0, DType::f64), true);
  const Var g1 = grad({tanh(x)}, {x}, {}, {.create_graph = true})[0];
  const Var g2 = grad({g1}, {x}, {}, {.create_graph = true})[0];
  const Var g3 = grad({g2}, {x})[0];
  CHECK(g1.item() == Approx(d1).epsilon(1e-12));
  CHECK(g2.item() == Approx(-2 * y * d1).epsilon(1e-12));
  CHECK(g3.item() == Approx(d3).epsilon(1e-12));
}

TEST_CASE("backward(create_graph) leaves a differentiable grad", "[second_order]") {
  Var x(tensor({1.0, -2.0}, DType::f64), true);
  sum(x * x * x).backward({.create_graph = true});
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3.0, 12.0});
  const Var g = x.differentiable_grad();
  REQUIRE(g.requires_grad());
  const Var penalty = sum(g * g);  // d/dx sum((3 x^2)^2) = 36 x^3
  const Var dp = grad({penalty}, {x})[0];
  CHECK(dp.value().to_vector<double>() == std::vector<double>{36.0, -288.0});
  x.zero_grad();  // breaks the cycle leaf -> grad graph -> leaf
  CHECK_FALSE(x.differentiable_grad().defined());
}

TEST_CASE("grad(): inputs not requiring grad need allow_unused", "[second_order]") {
  Var x(tensor({2.0}, DType::f64), true), c(tensor({3.0}, DType::f64));
  const Var y = sum(x * c);
  CHECK_THROWS_WITH(grad({y}, {x, c}, {}, {.retain_graph = true}),
                    Catch::Contains("input 1") && Catch::Contains("allow_unused"));
  const auto g = grad({y}, {x, c}, {}, {.allow_unused = true});
  CHECK(g[0].item() == 3.0);
  CHECK(g[1].item() == 0.0);
  CHECK_FALSE(g[0].requires_grad());  // no create_graph: constants
}

TEST_CASE("a first-order rule refuses create_graph, naming the op", "[second_order]") {
  Var x(tensor({2.0}, DType::f64), true);
  const Var y = record("tensor_only_square", x.value() * x.value(), {x}, kSaveIn0,
                       [](BackwardCtx& c) { c.add(0, c.dout * c.in(0) * 2.0); });
  CHECK_THROWS_WITH(grad({sum(y)}, {x}, {}, {.create_graph = true}),
                    Catch::Contains("tensor_only_square") && Catch::Contains("first-order"));
  CHECK(grad({sum(y)}, {x})[0].item() == 4.0);  // first order still works
}

TEST_CASE("create_graph through a hook: the replacement is a constant", "[second_order]") {
  Var x(tensor({1.5}, DType::f64), true);
  Var h = x * x;
  register_hook(h, [](const Tensor& dh) { return dh * 2.0; });
  const Var g = grad({sum(h * x)}, {x}, {}, {.create_graph = true})[0];
  // d/dx (h x) with dh doubled: 2 * x (via h) * 2 + h (direct) = 4 x^2 + x^2
  CHECK(g.item() == Approx(5 * 1.5 * 1.5));
}
