// Training speed of a character-level recurrent language model, the figure wengert competes with
// PyTorch on (bench/torch_rnn_bench.py runs the same models): one-hot(V = 28) -> fused RNN / GRU /
// LSTM layers (hidden H) -> linear decoder (V), batch B = 32, T = 35 steps. One iteration is one
// training step: forward, cross_entropy, backward, clip_grad_norm(0.25), SGD update; throughput
// is reported as tokens/s (items_per_second, B * T tokens per iteration). BM_rnn_infer is the
// forward (recurrent layers + decoder logits) under NoGradGuard. BM_rnn_layer times one fused
// nn::Recurrent layer alone (forward and backward of sum(output), token ids in), unidirectional
// (D:1) next to its bidirectional twin (D:2), whose cost should stay within 2.1x.
// tokens_per_cpu_s divides by the process's CPU time instead of wall time.
// maxrss_MiB is the process's peak resident memory so far (getrusage); run one benchmark alone to
// read a training process's peak, e.g.
//   OMP_NUM_THREADS=1 ./wengert_bench --benchmark_filter='BM_rnn_train/rnn_tanh/H:256/L:1/thr:1$'
// Whole table (medians of 3):
//   OMP_NUM_THREADS=2 ./wengert_bench --benchmark_filter=BM_rnn --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <omp.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>
#include <wengert/autograd.hpp>
#include <wengert/nn/clip.hpp>
#include <wengert/nn/fused_recurrent.hpp>
#include <wengert/nn/optim.hpp>
#include <wengert/nn/recurrent.hpp>

namespace {

using namespace wengert;
using nn::CellKind;

constexpr std::int64_t kVocab = 28, kBatch = 32, kSteps = 35;

// Process CPU time (all threads), for tokens per CPU-second: the fairer figure on a loaded machine.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

double max_rss_mib();

// Counters shared by both benchmarks.
void report(benchmark::State& state, double cpu_start) {
  const double tokens = double(state.iterations() * kSteps * kBatch);
  state.SetItemsProcessed(state.iterations() * kSteps * kBatch);
  state.counters["tokens_per_cpu_s"] = tokens / (cpu_seconds() - cpu_start);
  state.counters["maxrss_MiB"] = max_rss_mib();
}

double max_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// The model: per layer w_ih, w_hh, b_ih, b_hh (PyTorch init U(-1/sqrt(H), 1/sqrt(H))), then the
// decoder weight [V, H] and bias [V].
struct CharModel {
  CellKind kind;
  std::int64_t H;
  std::vector<Var> params;

  CharModel(CellKind kind, std::int64_t H, std::int64_t layers, Generator& gen) : kind(kind), H(H) {
    const double k = 1.0 / std::sqrt(double(H));
    const std::int64_t GH = nn::gate_count(kind) * H;
    for (std::int64_t l = 0; l < layers; ++l) {
      const std::int64_t I = l == 0 ? kVocab : H;
      for (const Shape& s : {Shape{GH, I}, Shape{GH, H}, Shape{GH}, Shape{GH}})
        params.emplace_back(uniform(s, -k, k, gen), true);
    }
    params.emplace_back(uniform({kVocab, H}, -k, k, gen), true);
    params.emplace_back(uniform({kVocab}, -k, k, gen), true);
  }

  // x: token ids [T, B] standing for one-hot rows of V (the fused layer gathers w_ih's columns
  // for them instead of multiplying zeros) -> logits [T * B, V]; initial states are zeros.
  Var forward(const Var& x) const {
    Var h = x;
    const Var h0(zeros({kBatch, H}));
    const Var c0 = kind == CellKind::lstm ? h0 : Var();
    for (std::size_t p = 0; p + 2 < params.size(); p += 4) {
      h = nn::fused_recurrent_layer(kind, h, h0, c0, params[p], params[p + 1], params[p + 2],
                                    params[p + 3]);
      if (kind == CellKind::lstm) h = narrow(h, 0, 0, kSteps);  // drop the final cell state
    }
    const Var& w = params[params.size() - 2];
    const Var& b = params.back();
    return matmul(reshape(h, {kSteps * kBatch, H}), transpose(w, 0, 1)) + b;
  }
};

struct Batch {
  Var x;           // i64 token ids [T, B]: one-hot inputs of V classes
  Tensor targets;  // i64 [T * B]
};
Batch random_batch(Generator& gen) {
  std::vector<std::int64_t> ids(kSteps * kBatch), targets(kSteps * kBatch);
  for (std::int64_t i = 0; i < kSteps * kBatch; ++i) {
    ids[i] = static_cast<std::int64_t>(gen.below(kVocab));
    targets[i] = static_cast<std::int64_t>(gen.below(kVocab));
  }
  return {Var(from_vector<std::int64_t>(ids, {kSteps, kBatch})),
          from_vector<std::int64_t>(targets, {kSteps * kBatch})};
}

void BM_rnn_train(benchmark::State& state, CellKind kind, std::int64_t H, std::int64_t layers,
                  int threads) {
  omp_set_num_threads(threads);
  Generator gen(1);
  CharModel model(kind, H, layers, gen);
  const Batch batch = random_batch(gen);
  nn::SGD sgd(model.params, {.lr = 0.1});
  const double cpu_start = cpu_seconds();
  for (auto _ : state) {
    sgd.zero_grad();
    const Var loss = cross_entropy(model.forward(batch.x), batch.targets);
    loss.backward();
    nn::clip_grad_norm(model.params, 0.25);
    sgd.step();
    benchmark::DoNotOptimize(loss.value().data<float>());
  }
  report(state, cpu_start);
}

void BM_rnn_infer(benchmark::State& state, CellKind kind, std::int64_t H, std::int64_t layers,
                  int threads) {
  omp_set_num_threads(threads);
  Generator gen(1);
  CharModel model(kind, H, layers, gen);
  const Batch batch = random_batch(gen);
  NoGradGuard no_grad;
  const double cpu_start = cpu_seconds();
  for (auto _ : state) {
    const Var logits = model.forward(batch.x);
    benchmark::DoNotOptimize(logits.value().data<float>());
  }
  report(state, cpu_start);
}

void BM_rnn_layer(benchmark::State& state, CellKind kind, std::int64_t H, bool bidirectional,
                  int threads) {
  omp_set_num_threads(threads);
  Generator gen(1);
  nn::Recurrent layer(kind, kVocab, H, 1, gen, {.bidirectional = bidirectional});
  const Batch batch = random_batch(gen);
  const double cpu_start = cpu_seconds();
  for (auto _ : state) {
    layer.zero_grad();
    const Var loss = sum(layer.forward(batch.x).output);
    loss.backward();
    benchmark::DoNotOptimize(loss.value().data<float>());
  }
  report(state, cpu_start);
}

// Registered by hand to give readable names: BM_rnn_train/lstm/H:256/L:1/thr:2.
struct Register {
  Register() {
    struct Row {
      CellKind kind;
      std::int64_t H, layers;
      bool train;
    };
    const Row rows[] = {{CellKind::rnn_tanh, 256, 1, true}, {CellKind::rnn_tanh, 512, 1, true},
                        {CellKind::rnn_tanh, 256, 2, true}, {CellKind::rnn_tanh, 1024, 1, true},
                        {CellKind::lstm, 256, 1, true},     {CellKind::gru, 256, 1, true},
                        {CellKind::rnn_tanh, 256, 1, false}};
    for (const Row& r : rows)
      for (int threads : {1, 2}) {
        const std::string name = std::string(r.train ? "BM_rnn_train/" : "BM_rnn_infer/") +
                                 std::string(nn::cell_kind_name(r.kind)) +
                                 "/H:" + std::to_string(r.H) + "/L:" + std::to_string(r.layers) +
                                 "/thr:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), r.train ? BM_rnn_train : BM_rnn_infer, r.kind,
                                     r.H, r.layers, threads)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->MinTime(1.0);
      }
    for (CellKind kind : {CellKind::rnn_tanh, CellKind::gru, CellKind::lstm})
      for (int directions : {1, 2})
        for (int threads : {1, 2}) {
          const std::string name = "BM_rnn_layer/" + std::string(nn::cell_kind_name(kind)) +
                                   "/H:256/D:" + std::to_string(directions) +
                                   "/thr:" + std::to_string(threads);
          benchmark::RegisterBenchmark(name.c_str(), BM_rnn_layer, kind, std::int64_t{256},
                                       directions == 2, threads)
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime()
              ->MinTime(1.0);
        }
  }
} const register_rnn_benchmarks;

}  // namespace
