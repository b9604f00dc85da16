// The cost of recording: the same op on raw Tensors and on Vars (forward + backward), so the
// autograd overhead per op is the difference. Tiny shapes make the bookkeeping visible.
//   ./wengert_bench --benchmark_filter=autograd
// Each Var iteration records one entry, sweeps it (backward with an explicit dout, so no extra
// op), and frees it; the Tensor iteration runs the forward and the kernels the backward would.
#include <benchmark/benchmark.h>

#include <wengert/autograd.hpp>

namespace {
using namespace wengert;

enum class Op { add, tanh, matmul };

Shape shape_of(int rows, int cols) { return {rows, cols}; }

// Raw tensors: forward, then the backward's arithmetic by hand, accumulated into gradient buffers
// as the autograd does into grad().
void BM_autograd_baseline(benchmark::State& state, Op op) {
  Generator gen(1);
  const int rows = static_cast<int>(state.range(0)), cols = static_cast<int>(state.range(1));
  const Tensor a = normal(shape_of(rows, cols), 0, 1, gen);
  const Tensor b = op == Op::matmul ? normal(shape_of(cols, cols), 0, 1, gen)
                                    : normal(shape_of(rows, cols), 0, 1, gen);
  const Tensor dy = ones(shape_of(rows, cols));
  Tensor ga = zeros(a.shape()), gb = zeros(b.shape());
  for (auto _ : state) {
    switch (op) {
      case Op::add: {
        Tensor y = add(a, b);
        benchmark::DoNotOptimize(y);
        ga.add_(dy);  // da = db = dy
        gb.add_(dy);
        break;
      }
      case Op::tanh: {
        Tensor y = tanh(a);
        ga.add_(dy * (1.0 - y * y));
        break;
      }
      case Op::matmul: {
        Tensor y = matmul(a, b);
        benchmark::DoNotOptimize(y);
        ga.add_(matmul(dy, b.t()));
        gb.add_(matmul(a.t(), dy));
        break;
      }
    }
  }
  benchmark::DoNotOptimize(ga);
  benchmark::DoNotOptimize(gb);
}

// The same through the autograd: record, backward, free.
void BM_autograd_var(benchmark::State& state, Op op) {
  Generator gen(1);
  const int rows = static_cast<int>(state.range(0)), cols = static_cast<int>(state.range(1));
  Var a(normal(shape_of(rows, cols), 0, 1, gen), true);
  Var b(op == Op::matmul ? normal(shape_of(cols, cols), 0, 1, gen)
                         : normal(shape_of(rows, cols), 0, 1, gen),
        true);
  const Tensor dy = ones(shape_of(rows, cols));
  // Gradients accumulate into a.grad() after the first iteration, as in training.
  for (auto _ : state) {
    Var y = op == Op::add ? add(a, b) : op == Op::tanh ? tanh(a) : matmul(a, b);
    y.backward(dy);
    benchmark::DoNotOptimize(a.grad());
  }
}

// The bookkeeping alone: a chain of entries whose forward value is a precomputed 0-d tensor
// (copying it allocates nothing) and whose rule passes dy on without arithmetic; recorded, swept by
// one backward and freed. per_op is the autograd's own cost per recorded op, free of kernel time.
void BM_autograd_bookkeeping(benchmark::State& state) {
  const std::int64_t chain = state.range(0);
  Var a(ones({}), true);
  const Tensor value = ones({}), dy = ones({});
  for (auto _ : state) {
    Var y = a;
    for (std::int64_t i = 0; i < chain; ++i)
      y = record("noop", value, {y}, kSaveIn0, [](BackwardCtx& c) { c.add(0, c.dout); });
    y.backward(dy);
  }
  state.counters["per_op"] =
      benchmark::Counter(static_cast<double>(chain), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
}

// Recording only (forward with and without grad), to separate recording from the sweep.
void BM_autograd_record_only(benchmark::State& state, bool grad) {
  Var a(ones({1, 1}), true), b(ones({1, 1}), true);
  GradModeGuard mode(grad);
  for (auto _ : state) {
    Var y = add(a, b);
    benchmark::DoNotOptimize(y);
  }
}

// layer_norm (one fused entry) against its composed twin (about ten entries and as many kernel
// passes): forward and backward with weight and bias, rows x width.
void BM_layer_norm(benchmark::State& state, bool fused) {
  Generator gen(1);
  const std::int64_t rows = state.range(0), width = state.range(1);
  Var x(normal({rows, width}, 0, 1, gen), true), w(ones({width}), true), b(zeros({width}), true);
  const Tensor dy = normal({rows, width}, 0, 1, gen);
  for (auto _ : state) {
    Var y = fused ? layer_norm(x, {width}, w, b) : layer_norm_composed(x, {width}, w, b);
    y.backward(dy);
  }
}

// A language model's decoder product, hidden states [T, B, H] @ w^T [H, V] (T = 35, H = 1024,
// V = 28), forward and backward, with the batch of T matrices as it comes (folded_rows false)
// against the caller's own reshape to [T * B, H] first (true). matmul folds the T batches into
// the rows of one GEMM itself, so the two should cost the same (before it did not: one GEMM per
// step, b packed T times, and db summed over T).
void BM_matmul_batch_matrix(benchmark::State& state, bool folded_rows) {
  Generator gen(1);
  const std::int64_t T = 35, B = state.range(0), H = 1024, V = 28;
  Var h(normal({T, B, H}, 0, 1, gen), true), w(normal({V, H}, 0, 1, gen), true);
  const Tensor dy = normal({T, B, V}, 0, 1, gen);
  for (auto _ : state) {
    h.zero_grad();
    w.zero_grad();
    Var y = folded_rows ? reshape(matmul(reshape(h, {T * B, H}), transpose(w, 0, 1)), {T, B, V})
                        : matmul(h, transpose(w, 0, 1));
    y.backward(dy);
  }
}

}  // namespace

BENCHMARK_CAPTURE(BM_matmul_batch_matrix, batches, false)->Arg(16)->Arg(32);
BENCHMARK_CAPTURE(BM_matmul_batch_matrix, folded_rows, true)->Arg(16)->Arg(32);
BENCHMARK_CAPTURE(BM_layer_norm, fused, true)->Args({32, 256})->Args({256, 1024});
BENCHMARK_CAPTURE(BM_layer_norm, composed, false)->Args({32, 256})->Args({256, 1024});
BENCHMARK_CAPTURE(BM_autograd_baseline, add, Op::add)->Args({1, 1})->Args({32, 256});
BENCHMARK_CAPTURE(BM_autograd_var, add, Op::add)->Args({1, 1})->Args({32, 256});
BENCHMARK_CAPTURE(BM_autograd_baseline, tanh, Op::tanh)->Args({1, 1})->Args({32, 256});
BENCHMARK_CAPTURE(BM_autograd_var, tanh, Op::tanh)->Args({1, 1})->Args({32, 256});
BENCHMARK_CAPTURE(BM_autograd_baseline, matmul, Op::matmul)->Args({1, 1})->Args({32, 256});
BENCHMARK_CAPTURE(BM_autograd_var, matmul, Op::matmul)->Args({1, 1})->Args({32, 256});
BENCHMARK(BM_autograd_bookkeeping)->Arg(1)->Arg(16)->Arg(256);
BENCHMARK_CAPTURE(BM_autograd_record_only, add_grad, true);
BENCHMARK_CAPTURE(BM_autograd_record_only, add_no_grad, false);
