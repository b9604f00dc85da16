// The norm that clip_grad_norm takes every training step: the sum of squares of every gradient
// element, in double. max_norm is large, so no gradient is rescaled and only the norm is timed.
// Parameter sets: one GRU layer of the character model (V = 28 one-hot, H = 256: w_ih [768, 28],
// w_hh [768, 256], b_ih and b_hh [768], decoder [28, 256] and [28]), and one 1 << 20 tensor
// (4 / 8 MiB, beyond L2). "GB/s" counts every gradient element read once.
//   OMP_NUM_THREADS=1 build/bench/wengert_bench --benchmark_filter='^reduce/clip_grad_norm'
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>
#include <wengert/autograd.hpp>
#include <wengert/nn/clip.hpp>

namespace {

using namespace wengert;

std::vector<Var> parameters_with_gradients(const std::vector<Shape>& shapes, DType dtype) {
  Generator gen(1);
  std::vector<Var> params;
  for (const Shape& shape : shapes) {
    Var p(zeros(shape, dtype), /*requires_grad=*/true);
    p.set_grad(uniform(shape, -1.0, 1.0, gen, dtype));
    params.push_back(p);
  }
  return params;
}

void clip_norm(benchmark::State& state, const std::vector<Shape>& shapes, DType dtype) {
  const std::vector<Var> params = parameters_with_gradients(shapes, dtype);
  std::int64_t elements = 0;
  for (const Var& p : params) elements += p.numel();
  for (auto _ : state) benchmark::DoNotOptimize(nn::clip_grad_norm(params, 1e30));
  state.counters["GB/s"] = benchmark::Counter(
      1e-9 * double(elements * std::int64_t(dtype_size(dtype))) * double(state.iterations()),
      benchmark::Counter::kIsRate);
}

// Registers "reduce/clip_grad_norm/<name>/<f32|f64>".
void add(const std::string& name, const std::vector<Shape>& shapes) {
  for (DType dtype : {DType::f32, DType::f64}) {
    const std::string full = "reduce/clip_grad_norm/" + name + "/" + std::string(dtype_name(dtype));
    benchmark::RegisterBenchmark(full.c_str(),
                                 [=](benchmark::State& s) { clip_norm(s, shapes, dtype); });
  }
}

const bool registered = [] {
  add("gru256", {{768, 28}, {768, 256}, {768}, {768}, {28, 256}, {28}});
  add("1048576", {{1 << 20}});
  return true;
}();

}  // namespace
