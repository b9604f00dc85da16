// Module::to(dtype): parameters, their grads and buffers converted in place across the module
// tree. The reference is a model built natively in the target dtype and loaded with the same
// (cast) weights, and the original f32 model's own outputs.
#include <catch2/catch.hpp>
#include <memory>
#include <wengert/nn.hpp>

#include "nn_test_support.hpp"

using namespace wengert;
using namespace wengert::nn;
using Catch::Contains;

namespace {
// Linear -> 2-layer GRU -> LayerNorm, plus a floating buffer added to the output and an integer
// buffer that to() must leave alone.
struct Tiny : Module {
  std::shared_ptr<Linear> in;
  std::shared_ptr<GRU> gru;
  std::shared_ptr<LayerNorm> norm;
  Var offset, counts;
  Tiny(Generator& gen, DType dtype) {
    in = register_module("in", std::make_shared<Linear>(3, 4, gen, true, dtype));
    gru = register_module("gru",
                          std::make_shared<GRU>(4, 5, 2, gen, RecurrentOptions{.dtype = dtype}));
    norm = register_module("norm",
                           std::make_shared<LayerNorm>(Shape{5}, LayerNormOptions{.dtype = dtype}));
    offset = register_buffer("offset", normal({5}, 0, 1, gen, dtype));
    counts = register_buffer("counts", from_vector<std::int64_t>({3, 4}, {2}));
  }
  // No state given: the GRU makes its zero state in its weights' dtype.
  Var forward(const Var& x) const { return norm->forward(gru->forward(x).output) + offset; }
  Var forward_in(const Var& x) const { return forward(in->forward(x)); }
};

// The floating tensors of a state cast to `dtype` (the f32 weights as the source of an f64 model).
NamedTensors cast(const NamedTensors& state, DType dtype) {
  NamedTensors out;
  for (const auto& [name, t] : state)
    out.emplace_back(name, is_floating(t.dtype()) ? t.to(dtype) : t.clone());
  return out;
}

// max |a - b| / max |b|
double rel_diff(const Tensor& a, const Tensor& b) {
  return max_abs_diff(a, b) / max(abs(b)).item();
}
}  // namespace

TEST_CASE("Module::to converts parameters and buffers in place, keeping the Vars", "[module_to]") {
  Generator gen(7);
  Tiny a(gen, DType::f32);
  const Var x32(normal({6, 2, 3}, 0, 1, gen, DType::f32));
  const Tensor y32 = a.forward_in(x32).value();
  const NamedTensors f32_state = a.state_dict();  // the f32 tensors themselves survive to()
  const std::vector<Var> before = a.parameters();
  const Var held = a.gru->layer(1).w_hh;  // a handle kept by user code

  CHECK(&a.to(DType::f64) == &a);
  const std::vector<Var> after = a.parameters();
  REQUIRE(after.size() == before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    CHECK(after[i].node() == before[i].node());
    CHECK(after[i].dtype() == DType::f64);
    CHECK(after[i].requires_grad());
  }
  CHECK(held.dtype() == DType::f64);
  CHECK(a.gru->dtype() == DType::f64);
  CHECK(a.offset.dtype() == DType::f64);
  CHECK(a.counts.dtype() == DType::i64);
  CHECK(a.counts.value().to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 4});
  for (const auto& [name, b] : a.named_buffers())
    CHECK(b.dtype() == (name == "counts" ? DType::i64 : DType::f64));
  // The values are the f32 ones, exactly (f32 -> f64 is exact).
  const NamedTensors f64_state = a.state_dict();
  for (std::size_t i = 0; i < f64_state.size(); ++i)
    CHECK(max_abs_diff(f64_state[i].second.to(DType::f64), f32_state[i].second.to(DType::f64)) ==
          0.0);

  // Reference: a model built in f64 (other weights) loaded with the f32 weights cast to f64.
  Generator other(99);
  Tiny b(other, DType::f64);
  b.load_state_dict(cast(f32_state, DType::f64));
  const Var x64(x32.value().to(DType::f64));
  for (const bool fused : {true, false}) {
    a.gru->fused = b.gru->fused = fused;
    const Tensor y = a.forward_in(x64).value();
    CHECK(y.dtype() == DType::f64);
    CHECK(rel_diff(y, b.forward_in(x64).value()) < 1e-12);
    CHECK(rel_diff(y, y32.to(DType::f64)) < 1e-5);  // the f32 model's output, to f32 precision
  }
}

TEST_CASE("Module::to converts gradients, round-trips and refuses a non-floating dtype",
          "[module_to]") {
  Generator gen(3);
  Tiny a(gen, DType::f32);
  const Var x(normal({4, 2, 3}, 0, 1, gen, DType::f32));
  sum(a.forward_in(x)).backward();
  std::vector<Tensor> grads32;
  for (const Var& p : a.parameters()) grads32.push_back(p.grad());
  const NamedTensors f32_state = a.state_dict();

  a.to(DType::f64);
  const auto params = a.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    REQUIRE(params[i].grad().defined());
    CHECK(params[i].grad().dtype() == DType::f64);
    CHECK(max_abs_diff(params[i].grad(), grads32[i].to(DType::f64)) == 0.0);
  }

  // Back to f32: the original values, bit for bit.
  a.to(DType::f32);
  const NamedTensors back = a.state_dict();
  for (std::size_t i = 0; i < back.size(); ++i) {
    CHECK(back[i].second.dtype() == f32_state[i].second.dtype());
    CHECK(max_abs_diff(back[i].second.to(DType::f64), f32_state[i].second.to(DType::f64)) == 0.0);
  }

  CHECK_THROWS_WITH(a.to(DType::i64), Contains("Module::to") && Contains("i64"));
  CHECK(a.in->weight().dtype() == DType::f32);  // nothing converted
}

TEST_CASE("a converted module's state_dict loads into a model built in that dtype", "[module_to]") {
  testing::ScratchDir dir("module_to");
  Generator gen(11);
  Tiny a(gen, DType::f32);
  a.to(DType::f64);
  save_module(dir.path / "a.safetensors", a);

  Generator other(12);
  Tiny b(other, DType::f64);
  load_module(dir.path / "a.safetensors", b);
  const Var x(normal({3, 2, 3}, 0, 1, gen, DType::f64));
  CHECK(max_abs_diff(a.forward_in(x).value(), b.forward_in(x).value()) == 0.0);

  Tiny c(other, DType::f32);  // an f32 model refuses the f64 checkpoint, naming the dtypes
  CHECK_THROWS_WITH(load_module(dir.path / "a.safetensors", c), Contains("f64") && Contains("f32"));
}

TEST_CASE("optimizers: create them after to(); state of the old dtype is refused", "[module_to]") {
  Generator gen(5);
  Tiny a(gen, DType::f32);
  const Var x32(normal({3, 2, 3}, 0, 1, gen, DType::f32));
  Adam early(a.parameters(), {.lr = 1e-2});
  SGD plain(a.parameters(), {.lr = 1e-2});  // no per-parameter state
  sum(a.forward_in(x32)).backward();
  early.step();

  a.to(DType::f64);
  a.zero_grad();
  const Var x64(x32.value().to(DType::f64));
  sum(a.forward_in(x64)).backward();
  CHECK_THROWS_WITH(early.step(), Contains("Adam") && Contains("exp_avg") &&
                                      Contains("Module::to") && Contains("parameter 0"));
  CHECK_NOTHROW(plain.step());

  // Created after to(): its state is f64, and a step moves the parameters.
  Adam late(a.parameters(), {.lr = 1e-2});
  const Tensor w = a.in->weight().value().clone();
  late.step();
  CHECK(max_abs_diff(a.in->weight().value(), w) > 0.0);
  for (const auto& [name, t] : late.state())
    if (name.rfind("exp_avg", 0) == 0) CHECK(t.dtype() == DType::f64);
}
