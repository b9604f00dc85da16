// The trust and teaching tools: composed twins of hand-written rules, gradcheck catching a wrong
// rule, tape printing, DOT export, hooks and anomaly mode.
#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace wengert;
using namespace wengert::testing;

namespace {
using V = const std::vector<Var>&;

void check_twins(const GradcheckFn& fused, const GradcheckFn& composed,
                 const std::vector<Tensor>& inputs) {
  const Var probe = fused([&] {
    std::vector<Var> leaves;
    for (const Tensor& t : inputs) leaves.emplace_back(t);
    return leaves;
  }());
  const Tensor w = r(probe.shape());
  const ValueGrad a = value_and_grad(fused, inputs, w), b = value_and_grad(composed, inputs, w);
  CHECK(allclose(a.value, b.value, 1e-9, 1e-12));
  for (std::size_t i = 0; i < inputs.size(); ++i)
    CHECK(allclose(a.grads[i], b.grads[i], 1e-9, 1e-12));
}
}  // namespace

TEST_CASE("hand-written rules agree with their composed twins", "[twins]") {
  const Tensor x = r({3, 5});
  check_twins([](V v) { return sigmoid(v[0]); }, [](V v) { return 1.0 / (1.0 + exp(-v[0])); }, {x});
  check_twins([](V v) { return logsumexp(v[0], {1}); },
              [](V v) { return log(sum(exp(v[0]), {1})); }, {x});
  check_twins([](V v) { return softmax(v[0], 1); },
              [](V v) { return exp(v[0] - logsumexp(v[0], {1}, true)); }, {x});
  check_twins([](V v) { return log_softmax(v[0], 0); },
              [](V v) { return v[0] - logsumexp(v[0], {0}, true); }, {x});
  // layer_norm: fused against composed, affine or not, one or two normalized axes, strided input
  const Tensor w = r({5}), b = r({5}), w2 = r({3, 5});
  check_twins([](V v) { return layer_norm(v[0], {5}, v[1], v[2]); },
              [](V v) { return layer_norm_composed(v[0], {5}, v[1], v[2]); }, {x, w, b});
  check_twins(
      [](V v) {
        return layer_norm(v[0], {3, 5}, v[1], {}, 1e-3);
      },
      [](V v) {
        return layer_norm_composed(v[0], {3, 5}, v[1], {}, 1e-3);
      },
      {strided({2, 3, 5}), w2});
  check_twins([](V v) { return layer_norm(v[0], {3}); },
              [](V v) { return layer_norm_composed(v[0], {3}); }, {transposed({5, 3})});
  const Tensor t = ids({4, -100, 0, 2, 1}, {5});
  const Tensor logits = r({5, 6});
  for (Reduction reduction : {Reduction::mean, Reduction::sum, Reduction::none}) {
    const LossOptions o{reduction, -100};
    check_twins([&](V v) { return cross_entropy(v[0], t, o); },
                [&](V v) { return nll_loss(log_softmax(v[0], -1), t, o); }, {logits});
  }
}

TEST_CASE("layer_norm is one tape entry, its twin several", "[twins]") {
  const Var x(r({2, 4}), true), w(r({4}), true);
  const std::int64_t before = Tape::current().size();
  const Var fused = layer_norm(x, {4}, w);
  CHECK(fused.op() == "layer_norm");
  CHECK(Tape::current().size() == before + 1);
  const Var composed = layer_norm_composed(x, {4}, w);
  CHECK(Tape::current().size() > before + 5);
  CHECK_THROWS_WITH(layer_norm(x, {3}), Catch::Contains("layer_norm") && Catch::Contains("[2, 4]"));
  CHECK_THROWS_WITH(layer_norm(x, {4}, Var(r({3}))), Catch::Contains("weight and bias"));
}

TEST_CASE("gradcheck catches a wrong rule and reports the worst element", "[gradcheck]") {
  auto wrong_square = [](V v) {  // d(x^2) = 2x dx, written here as 3x dx
    const Var& x = v[0];
    return record("wrong_square", x.value() * x.value(), {x}, kSaveIn0,
                  [](BackwardCtx& c) { c.add(0, c.dout * c.in(0) * 3.0); });
  };
  const GradcheckResult result = gradcheck(wrong_square, {tensor({1.0, -2.0, 0.5}, DType::f64)});
  CHECK_FALSE(result.ok);
  CHECK(result.op == "wrong_square");
  CHECK(result.index == 1);  // the largest |x|
  CHECK(std::abs(result.analytic - 1.5 * result.numeric) < 1e-4);
  CHECK_THAT(result.report(), Catch::Contains("FAILED") && Catch::Contains("wrong_square"));
}

TEST_CASE("the tape prints one line per entry", "[tape]") {
  Tape::current().clear();
  Var a(ones({2, 3}, DType::f64), true, "a"), b(ones({2, 3}, DType::f64), true);
  Var y = a * b;
  Var s = sum(tanh(y));
  s.set_name("loss");
  const std::string text = Tape::current().to_string();
  CHECK_THAT(text, Catch::Contains("#0  mul([2, 3], [2, 3]) -> [2, 3]  saved 96 B"));
  CHECK_THAT(text, Catch::Contains("#1  tanh([2, 3]) -> [2, 3]  saved 48 B"));
  CHECK_THAT(text, Catch::Contains("#2  sum([2, 3]) -> [] 'loss'  saved 0 B"));
  s.backward({.retain_graph = true});
  CHECK(Tape::current().size() == 3);
  s.backward();
  CHECK_THAT(Tape::current().to_string(), Catch::Contains("released"));
}

TEST_CASE("to_dot draws ops, leaves and shaped edges", "[dot]") {
  Var x(r({2, 3}), true, "x"), w(r({3, 4}), true, "w");
  Var c(r({4}));
  Var y = sum(tanh(matmul(x, w) + c));
  const std::string dot = to_dot(y);
  auto count = [&](const std::string& needle) {  // occurrences of `needle`
    std::ptrdiff_t n = 0;
    for (auto at = dot.find(needle); at != std::string::npos; at = dot.find(needle, at + 1)) ++n;
    return n;
  };
  CHECK(dot.rfind("digraph", 0) == 0);
  CHECK(count("shape=box") == 4);      // matmul, add, tanh, sum
  CHECK(count("peripheries=2") == 2);  // leaves x and w
  CHECK(count("style=dashed") == 1);   // the constant c
  CHECK(count("[label=\"[") == 6);     // input edges, labelled with shapes
  CHECK_THAT(dot, Catch::Contains("label=\"[2, 4]\""));
  CHECK_THAT(dot, Catch::Contains("leaf 'x' [2, 3]"));
}

TEST_CASE("hooks inspect and replace gradients during the sweep", "[hooks]") {
  Var x(tensor({1.0, 2.0}, DType::f64), true);
  Var h = x * 3.0;
  Tensor seen;
  register_hook(h, [&](const Tensor& dh) {
    seen = dh.clone();
    return Tensor();
  });
  register_hook(x, [](const Tensor& dx) { return dx * 10.0; });
  sum(h * h).backward();
  CHECK(seen.to_vector<double>() == std::vector<double>{6.0, 12.0});  // 2h
  CHECK(x.grad().to_vector<double>() == std::vector<double>{180.0, 360.0});
  remove_hooks(x);
  x.zero_grad();
  sum(x).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1.0, 1.0});
}

TEST_CASE("anomaly mode names the first op producing NaN or Inf", "[anomaly]") {
  Var x(tensor({-1.0, 4.0}, DType::f64), true);
  CHECK_NOTHROW(log(x));  // off by default
  {
    DetectAnomaly anomaly;
    CHECK_THROWS_WITH(log(x), Catch::Contains("forward of log") && Catch::Contains("tape #"));
    Var z(tensor({0.0, 4.0}, DType::f64), true);
    Var y = sum(sqrt(z));  // forward is finite, d sqrt at 0 is Inf
    CHECK_THROWS_WITH(y.backward(), Catch::Contains("backward of sqrt"));
  }
  CHECK_FALSE(anomaly_enabled());
}

TEST_CASE("a hooked leaf's hooks run once its last consumer has run, mid-sweep", "[hooks]") {
  // first(w0, w1) is recorded before second(y, w1), so the sweep runs second's rule, then
  // first's. w2 feeds only second: complete after second's rule. w1 feeds both: only after first.
  std::vector<std::string> events;
  const Var w0(tensor({1.0, 2.0}, DType::f64), true), w1(tensor({3.0, 4.0}, DType::f64), true);
  const Var w2(tensor({5.0, 6.0}, DType::f64), true);
  auto logged = [&](const char* name) {
    return [&events, name](auto& c) {
      events.emplace_back(name);
      for (std::size_t i = 0; i < c.num_inputs(); ++i) c.add(i, c.dout);
    };
  };
  const Var y = record("first", w0.value() + w1.value(), {w0, w1}, kSaveNone, logged("rule first"));
  const Var z = record("second", y.value() + w1.value() + w2.value(), {y, w1, w2}, kSaveNone,
                       logged("rule second"));
  Tensor w1_seen;
  for (const auto& [leaf, name] : {std::pair{w0, "hook w0"}, {w1, "hook w1"}, {w2, "hook w2"}})
    register_hook(leaf, [&events, &w1_seen, name = std::string(name)](const Tensor& g) {
      events.push_back(name);
      if (name == "hook w1") w1_seen = g.clone();
      return Tensor();
    });
  sum(z).backward();
  CHECK(events ==
        std::vector<std::string>{"rule second", "hook w2", "rule first", "hook w0", "hook w1"});
  CHECK(w1_seen.to_vector<double>() == std::vector<double>{2.0, 2.0});  // both paths summed
  CHECK(w1.grad().to_vector<double>() == std::vector<double>{2.0, 2.0});
  CHECK(w2.grad().to_vector<double>() == std::vector<double>{1.0, 1.0});
  for (const Var& leaf : {w0, w1, w2}) remove_hooks(leaf);
}

TEST_CASE("record keeps its own copy of the op name", "[record]") {
  const Var x(r({3}), true);
  Var y;
  {
    std::string name = "scale_by_" + std::to_string(3);
    y = record(name, x.value() * 3.0, {x}, kSaveNone, [](auto& c) { c.add(0, c.dout * 3.0); });
    name.assign("overwritten before the string dies");
  }
  CHECK(y.op() == "scale_by_3");
  CHECK_THAT(Tape::current().to_string(), Catch::Contains("scale_by_3("));
  CHECK_THAT(to_dot(y), Catch::Contains("scale_by_3"));
  CHECK_THROWS_WITH(record("", x.value(), {x}, kSaveNone, [](auto&) {}),
                    Catch::Contains("needs a name"));
}

TEST_CASE("saved tensors are read by their name; a wrong name or an in-place write names it",
          "[record]") {
  const Var x(tensor({1.0, 2.0}, DType::f64), true);
  Tensor scale = tensor({3.0, 4.0}, DType::f64);
  // y = x * scale with scale saved under "scale"; the rule reads it back by `read_as`.
  auto scaled = [&](std::string read_as) {
    return record("scaled", x.value() * scale, {x}, kSaveNone,
                  [read_as](auto& c) { c.add(0, c.dout * c.saved(read_as)); }, {{"scale", scale}});
  };
  sum(scaled("scale")).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3.0, 4.0});  // d sum(x s) / dx = s
  // Under create_graph the rule reads it the same way (a constant of the new graph).
  const Var g = grad({sum(scaled("scale"))}, {x}, {}, {.create_graph = true})[0];
  CHECK(g.value().to_vector<double>() == std::vector<double>{3.0, 4.0});

  CHECK_THROWS_WITH(sum(scaled("scales")).backward(),
                    Catch::Contains("scaled backward") && Catch::Contains("'scales'"));
  const Var z = sum(scaled("scale"));
  scale.add_(1.0);
  CHECK_THROWS_WITH(z.backward(), Catch::Contains("saved tensor 'scale'") &&
                                      Catch::Contains("modified in place"));
}

namespace {
// (sin x, cos x) as one entry: dx = dsin * cos x - dcos * sin x.
std::vector<Var> sincos(const Var& x) {
  return record_outputs(
      "sincos", {sin(x.value()), cos(x.value())}, {x}, kSaveIn0,
      [](auto& c, auto& d) { c.add(0, d[0] * cos(c.in(0)) - d[1] * sin(c.in(0))); });
}
}  // namespace

TEST_CASE("record_outputs: an op with several outputs is one entry", "[record]") {
  const Tensor x = r({2, 3});
  const std::vector<Var> both = sincos(Var(x));
  CHECK(allclose(both[0].value(), sin(x)));
  CHECK(allclose(both[1].value(), cos(x)));
  CHECK(both[1].shape() == Shape{2, 3});

  const Var v(x, true);
  const std::vector<Var> out = sincos(v);
  const std::string tape = Tape::current().to_string();
  std::size_t entries = 0;
  for (std::size_t at = tape.find("sincos("); at != std::string::npos;
       at = tape.find("sincos(", at + 1))
    ++entries;
  CHECK(entries == 1);

  // Both outputs used, and only one (the other's gradient is zero), at first and second order.
  for (const GradcheckFn& f : std::vector<GradcheckFn>{[](V in) {
                                                         const auto sc = sincos(in[0]);
                                                         return sc[0] * sc[1] + sc[1] * 2.0;
                                                       },
                                                       [](V in) { return sincos(in[0])[1]; }}) {
    const GradcheckResult first = gradcheck(f, {x}), second = gradgradcheck(f, {x});
    INFO(first.report() << "\n" << second.report());
    CHECK(first.ok);
    CHECK(second.ok);
  }
  CHECK_THROWS_WITH(record_outputs("mixed", {x, ids({1, 2})}, {v}, kSaveNone, [](auto&, auto&) {}),
                    Catch::Contains("mixed") && Catch::Contains("one dtype"));
}
