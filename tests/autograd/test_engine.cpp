// The engine: accumulation, detach, no_grad, retain_graph and its error, in-place detection,
// grad(), a bounded tape under truncated BPTT, and deep graphs.
#include <catch2/catch.hpp>
#include <thread>

#include "helpers.hpp"

using namespace wengert;
using namespace wengert::testing;

TEST_CASE("backward accumulates into leaves until zero_grad", "[engine]") {
  Var x(tensor({1.0, 2.0, 3.0}, DType::f64), true, "x");
  auto loss = [&] { return sum(x * x + x); };  // d/dx = 2x + 1
  loss().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3.0, 5.0, 7.0});
  loss().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{6.0, 10.0, 14.0});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
  loss().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3.0, 5.0, 7.0});
}

TEST_CASE("the leaf's grad owns its buffer", "[engine]") {
  Var x(zeros({3}, DType::f64), true);
  const Tensor dout = ones({3}, DType::f64);
  (x + 1.0).backward(dout);    // the gradient reaching x is dout itself
  x.mutable_grad().add_(1.0);  // an optimizer-style in-place update
  CHECK(dout.to_vector<double>() == std::vector<double>{1.0, 1.0, 1.0});
}

// A rule's fresh result that nothing else refers to becomes grad() without a copy; a gradient
// that something else still holds (a second input, a hook, a rule's saved tensor) is copied, so
// that an in-place update of grad() changes nothing else.
TEST_CASE("a gradient no one else holds is kept, not copied; a shared one is copied", "[engine]") {
  Var w(tensor({1.0, 2.0, 3.0}, DType::f64), true), v(tensor({4.0, 5.0, 6.0}, DType::f64), true);
  std::weak_ptr<Storage> handed_over;
  // d(2w)/dw = 2, computed into a fresh tensor that the rule moves to the engine.
  const Var doubled = record("doubled", w.value() * 2.0, {w}, kSaveNone, [&](BackwardCtx& c) {
    Tensor g = c.dout * 2.0;
    handed_over = g.storage();
    c.add(0, std::move(g));
  });
  // v's gradient is add's dout, also handed to `doubled`.
  sum(doubled + v).backward(BackwardOptions{.retain_graph = true});
  CHECK(w.grad().to_vector<double>() == std::vector<double>{2.0, 2.0, 2.0});
  CHECK(v.grad().to_vector<double>() == std::vector<double>{1.0, 1.0, 1.0});
  CHECK(w.grad().storage() == handed_over.lock());  // kept: no copy
  CHECK_FALSE(v.grad().overlaps(w.grad()));

  // A second sweep adds into the kept buffer in place.
  w.zero_grad();
  v.zero_grad();
  std::vector<Tensor> seen;
  register_hook(w, [&seen](const Tensor& g) {
    seen.push_back(g);  // the hook keeps a handle: grad() must be a copy
    return Tensor();
  });
  sum(doubled * 1.0 + doubled).backward(BackwardOptions{.retain_graph = true});
  REQUIRE(seen.size() == 1);
  CHECK(w.grad().to_vector<double>() == std::vector<double>{4.0, 4.0, 4.0});
  CHECK_FALSE(w.grad().overlaps(seen[0]));
  w.mutable_grad().add_(1.0);
  CHECK(seen[0].to_vector<double>() == std::vector<double>{4.0, 4.0, 4.0});
}

TEST_CASE("set_grad checks the gradient and keeps an expanded one as a copy", "[engine]") {
  Var x(zeros({3}, DType::f64), true);
  CHECK_THROWS_WITH(x.set_grad(zeros({4}, DType::f64)), Catch::Contains("set_grad") &&
                                                            Catch::Contains("[4]") &&
                                                            Catch::Contains("[3]"));
  CHECK_THROWS_WITH(x.set_grad(zeros({3}, DType::f32)),
                    Catch::Contains("set_grad: gradient dtype f32 differs from the value's f64"));
  // An expanded gradient: one memory cell behind three elements. The sweep adds 2 to each.
  const Tensor one = tensor({1.0}, DType::f64);
  x.set_grad(one.expand({3}));
  sum(x * 2.0).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3.0, 3.0, 3.0});
  CHECK(one.to_vector<double>() == std::vector<double>{1.0});  // the caller's tensor untouched
}

TEST_CASE("explicit output gradient; non-scalar roots need one", "[engine]") {
  Var x(tensor({1.0, 2.0}, DType::f64), true);
  Var y = x * 3.0;
  CHECK_THROWS_WITH(y.backward({.retain_graph = true}), Catch::Contains("not a single element"));
  y.backward(tensor({1.0, 10.0}, DType::f64));
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3.0, 30.0});
  Var c(tensor({1.0}, DType::f64));
  CHECK_THROWS_WITH((c * 2.0).backward(), Catch::Contains("does not require grad"));
}

TEST_CASE("detach cuts the graph and shares storage", "[engine]") {
  Var x(tensor({2.0}, DType::f64), true);
  Var h = x * x;
  Var d = h.detach();
  CHECK(d.is_leaf());
  CHECK_FALSE(d.requires_grad());
  CHECK(d.value().shares_storage_with(h.value()));
  Var y = d * x;  // dy/dx = d = 4, nothing flows through h
  y.backward();
  CHECK(x.grad().item() == 4.0);
}

TEST_CASE("no_grad records nothing", "[engine]") {
  Tape::current().clear();
  Var x(r({2, 2}), true);
  {
    NoGradGuard no_grad;
    CHECK_FALSE(grad_enabled());
    Var y = tanh(x * x);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
  }
  CHECK(grad_enabled());
  CHECK(Tape::current().size() == 0);
  Var z = x * x;
  CHECK(Tape::current().size() == 1);
}

TEST_CASE("requires_grad_ only on leaves", "[engine]") {
  Var x(r({2}));
  CHECK_FALSE((x * 2.0).requires_grad());
  x.requires_grad_();
  Var y = x * 2.0;
  CHECK(y.requires_grad());
  CHECK_THROWS_WITH(y.requires_grad_(false), Catch::Contains("only leaves"));
  CHECK_THROWS(Var(ids({1, 2}), true));
}

TEST_CASE("retain_graph, and the error for a second backward", "[engine]") {
  Var x(tensor({3.0}, DType::f64), true);
  Var h = tanh(x);
  h.set_name("h");
  Var y = h * h;
  y.backward({.retain_graph = true});
  const double first = x.grad().item();
  y.backward();
  CHECK(x.grad().item() == Approx(2 * first));
  try {
    y.backward();
    FAIL("expected an error");
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Catch::Contains("mul") && Catch::Contains("retain_graph") &&
                            Catch::Contains("detach()"));
  }
  // A new graph built on a swept value names it.
  Var z = h * 2.0;
  CHECK_THROWS_WITH(z.backward(), Catch::Contains("'h'") && Catch::Contains("tanh"));
}

TEST_CASE("modifying a saved tensor in place is reported at backward", "[engine]") {
  Var a(r({2, 3}), true), b(r({2, 3}), true);
  Var y = sum(a * b);
  b.mutable_value().add_(1.0);
  CHECK_THROWS_WITH(y.backward(), Catch::Contains("mul") && Catch::Contains("modified in place"));

  // add saves nothing: modifying its input is fine.
  Var z = sum(a + b);
  b.mutable_value().add_(1.0);
  CHECK_NOTHROW(z.backward());

  // The output of exp is saved; modifying it through a view is caught too.
  Var e = exp(a);
  Var s = sum(e);
  e.value().select(0, 0).fill_(0.0);
  CHECK_THROWS_WITH(s.backward(), Catch::Contains("exp"));
}

TEST_CASE("grad() returns gradients without touching .grad", "[engine]") {
  Var x(tensor({1.0, 2.0}, DType::f64), true), unused(tensor({5.0}, DType::f64), true);
  Var h = x * x;
  Var y = sum(h * 3.0);
  const auto g = grad({y}, {x, h, unused}, {}, {.retain_graph = true});
  CHECK(g[0].value().to_vector<double>() == std::vector<double>{6.0, 12.0});
  CHECK(g[1].value().to_vector<double>() == std::vector<double>{3.0, 3.0});
  CHECK(g[2].value().to_vector<double>() == std::vector<double>{0.0});
  CHECK_FALSE(x.grad().defined());
  y.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{6.0, 12.0});
}

TEST_CASE("several roots at once", "[engine]") {
  Var x(tensor({2.0}, DType::f64), true);
  backward({x * 3.0, x * x});
  CHECK(x.grad().item() == 7.0);
}

TEST_CASE("truncated BPTT: detach keeps the tape bounded, forgetting it throws", "[engine]") {
  Tape::current().clear();
  Generator g(3);
  Var w(normal({4, 4}, 0.0, 0.5, g, DType::f64), true, "W");
  Var h(zeros({1, 4}, DType::f64));
  for (int step = 0; step < 200; ++step) {
    for (int t = 0; t < 5; ++t)
      h = tanh(matmul(h, w) + Var(normal({1, 4}, 0.0, 1.0, g, DType::f64)));
    Var loss = sum(h * h);
    loss.backward();
    h = h.detach();
    w.zero_grad();
  }
  CHECK(Tape::current().size() == 0);  // every graph was freed with its loss
  // Without detach the second minibatch reaches the swept first one.
  for (int t = 0; t < 3; ++t) h = tanh(matmul(h, w));
  sum(h).backward();
  Var next = tanh(matmul(h, w));
  CHECK_THROWS_WITH(sum(next).backward(), Catch::Contains("detach()"));
}

TEST_CASE("Tape::clear releases live entries", "[engine]") {
  Var x(r({2}), true);
  Var y = x * x;
  CHECK(Tape::current().size() >= 1);
  Tape::current().clear();
  CHECK(Tape::current().size() == 0);
  CHECK_THROWS_WITH(sum(y).backward(), Catch::Contains("second time"));
}

TEST_CASE("a very deep graph is freed without recursion", "[engine]") {
  Var x(tensor({1.0}, DType::f64), true);
  Var y = x;
  for (int i = 0; i < 50000; ++i) y = y * 1.0;
  y = Var();  // dropping the last handle frees 50000 nodes iteratively
  Var z = x;
  for (int i = 0; i < 2000; ++i) z = z + 0.5;
  z.backward();
  CHECK(x.grad().item() == 1.0);
}

TEST_CASE("a graph recorded on another thread cannot be extended here", "[engine]") {
  Var x(r({2}), true);
  Var y;
  std::thread([&] { y = x * 2.0; }).join();
  CHECK_NOTHROW(x * 3.0);  // leaves are shared freely
  CHECK_THROWS_WITH(y * 3.0, Catch::Contains("another thread"));
}
