// Memory bandwidth of the tensor module's elementwise ops (ew/...) and reductions, softmax
// included (reduce/...), in f32 and f64, with 1 and 2 OpenMP threads (the `threads:` part of the
// name, set with omp_set_num_threads for the benchmark, so it overrides OMP_NUM_THREADS).
//
// One iteration is one call of the public op on the same inputs; each call allocates its result,
// as in real use, so the time includes that allocation (and first-touch page faults if the
// allocator hands the block back to the kernel). The counter "GB/s" is the logical traffic per
// second of wall time: every input element read once plus every output element written once.
// Composite ops make temporaries and pass over the input several times (logsumexp is max, sub,
// exp, sum, log, add), so their GB/s is below what the memory system allows: compare them with
// the single-pass ops to see what the extra passes cost.
//
// Shapes: 1 << 20 elements (4 / 8 MiB, beyond L2), 32 x 256 (one RNN step of batch 32,
// hidden 256), 1024 x 1024, and 1120 x 28 (the language model's logits: 32 x 35 tokens, V = 28).
// ew/add_transposed adds a transposed view to a contiguous tensor, ew/copy_transposed makes one
// contiguous: the generic strided path.
//
// Run:
//   OMP_NUM_THREADS=1 build/release/bench/wengert_bench --benchmark_filter='^(ew|reduce)/'
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "wengert/tensor/elementwise.hpp"
#include "wengert/tensor/random.hpp"
#include "wengert/tensor/reduce.hpp"
#include "wengert/tensor/tensor.hpp"

namespace {

using wengert::DType;
using wengert::Shape;
using wengert::Tensor;

// Inputs uniform in [-4, 4]: exp, tanh and sigmoid stay finite and away from their saturation
// shortcuts, in either dtype.
Tensor input(const Shape& shape, DType dtype, std::uint64_t seed = 1) {
  wengert::Generator gen(seed);
  return wengert::uniform(shape, -4.0, 4.0, gen, dtype);
}

double bytes(std::int64_t elements, DType dtype) {
  return double(elements) * double(wengert::dtype_size(dtype));
}

// What a benchmark times: the call, and the bytes it reads plus writes.
struct Op {
  std::function<Tensor()> call;
  double bytes = 0;
};

// Sets the OpenMP thread count for one benchmark and restores the previous one afterwards.
class ThreadCount {
 public:
  explicit ThreadCount(int threads) : previous_(omp_get_max_threads()) {
    omp_set_num_threads(threads);
  }
  ~ThreadCount() { omp_set_num_threads(previous_); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;

 private:
  int previous_;
};

void run(benchmark::State& state, int threads, const Op& op) {
  const ThreadCount thread_count(threads);
  benchmark::DoNotOptimize(op.call());  // warm-up: OpenMP pool, allocator, caches
  for (auto _ : state) {
    Tensor result = op.call();
    benchmark::DoNotOptimize(result);
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] =
      benchmark::Counter(1e-9 * op.bytes * double(state.iterations()), benchmark::Counter::kIsRate);
}

// Registers "<name>/<f32|f64>/threads:<1|2>"; `setup(dtype)` builds the inputs (outside the
// timing) and returns the Op to time.
void add(const std::string& name, std::function<Op(DType)> setup) {
  for (DType dtype : {DType::f32, DType::f64}) {
    for (int threads : {1, 2}) {
      const std::string full = name + "/" + std::string(wengert::dtype_name(dtype)) +
                               "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(full.c_str(), [setup, dtype, threads](benchmark::State& state) {
        run(state, threads, setup(dtype));
      })->UseRealTime();  // wall clock: the calling thread's CPU time misses the others' work
    }
  }
}

// x -> f(x) on `shape`: one read, one write per element.
void add_unary(const std::string& name, const Shape& shape, Tensor (*f)(const Tensor&)) {
  add(name, [shape, f](DType dtype) {
    const Tensor x = input(shape, dtype);
    return Op{[x, f] { return f(x); }, bytes(2 * x.numel(), dtype)};
  });
}

// x -> reduce(x) along `axes`: the input read once, the (smaller) result written once.
void add_reduction(const std::string& name, const Shape& shape, const wengert::Axes& axes,
                   Tensor (*f)(const Tensor&, const wengert::Axes&, bool)) {
  add(name, [shape, axes, f](DType dtype) {
    const Tensor x = input(shape, dtype);
    const std::int64_t out = f(x, axes, false).numel();
    return Op{[x, axes, f] { return f(x, axes, false); }, bytes(x.numel() + out, dtype)};
  });
}

// x -> softmax-like(x) along the last axis: one read, one write per element.
void add_softmax(const std::string& name, const Shape& shape,
                 Tensor (*f)(const Tensor&, std::int64_t)) {
  add(name, [shape, f](DType dtype) {
    const Tensor x = input(shape, dtype);
    return Op{[x, f] { return f(x, -1); }, bytes(2 * x.numel(), dtype)};
  });
}

const bool registered = [] {
  constexpr std::int64_t kN = 1 << 20;  // elements of the large 1-d cases
  constexpr std::int64_t kSide = 1024;  // side of the square cases

  // --- elementwise, unary ---
  add_unary("ew/tanh/1048576", {kN}, wengert::tanh);
  add_unary("ew/tanh/32x256", {32, 256}, wengert::tanh);
  add_unary("ew/exp/1048576", {kN}, wengert::exp);
  add_unary("ew/sigmoid/1048576", {kN}, wengert::sigmoid);

  // --- elementwise, add ---
  add("ew/add/1048576", [](DType dtype) {
    const Tensor a = input({kN}, dtype, 1), b = input({kN}, dtype, 2);
    return Op{[a, b] { return wengert::add(a, b); }, bytes(3 * kN, dtype)};
  });
  // [1024, 1024] + [1024]: a row vector broadcast over the rows (a bias add).
  add("ew/add_rowbcast/1024x1024", [](DType dtype) {
    const Tensor a = input({kSide, kSide}, dtype, 1), b = input({kSide}, dtype, 2);
    return Op{[a, b] { return wengert::add(a, b); }, bytes(2 * kSide * kSide + kSide, dtype)};
  });
  // A transposed (column-major) view + a contiguous tensor: neither layout merges into long
  // unit-stride rows, so this takes the gather-into-buffer strided path.
  add("ew/add_transposed/1024x1024", [](DType dtype) {
    const Tensor a = input({kSide, kSide}, dtype, 1).t(), b = input({kSide, kSide}, dtype, 2);
    return Op{[a, b] { return wengert::add(a, b); }, bytes(3 * kSide * kSide, dtype)};
  });
  // A transposed view made contiguous (copy_ from a column-major source).
  add("ew/copy_transposed/1024x1024", [](DType dtype) {
    const Tensor a = input({kSide, kSide}, dtype, 1).t();
    return Op{[a] { return a.contiguous(); }, bytes(2 * kSide * kSide, dtype)};
  });

  // --- reductions ---
  add_reduction("reduce/sum_all/1048576", {kN}, {}, wengert::sum);
  add_reduction("reduce/sum_axis0/1024x1024", {kSide, kSide}, {0}, wengert::sum);
  add_reduction("reduce/sum_axis1/1024x1024", {kSide, kSide}, {1}, wengert::sum);
  add_reduction("reduce/max_axis1/1024x1024", {kSide, kSide}, {1}, wengert::max);
  add_reduction("reduce/logsumexp_axis1/1120x28", {1120, 28}, {1}, wengert::logsumexp);
  add_reduction("reduce/logsumexp_axis1/1024x1024", {kSide, kSide}, {1}, wengert::logsumexp);

  // --- softmax family, along the last axis ---
  add_softmax("reduce/softmax/1120x28", {1120, 28}, wengert::softmax);
  add_softmax("reduce/softmax/1024x1024", {kSide, kSide}, wengert::softmax);
  add_softmax("reduce/log_softmax/1120x28", {1120, 28}, wengert::log_softmax);
  add_softmax("reduce/log_softmax/1024x1024", {kSide, kSide}, wengert::log_softmax);
  return true;
}();

}  // namespace
