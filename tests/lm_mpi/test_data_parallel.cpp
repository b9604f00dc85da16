// The lm Trainer data-parallel under `mpirun -np N` (ctest runs N = 1 and 2). Every rank also
// trains the same model alone on whole minibatches (one_process()): that is the reference the
// replicas must match, step by step. Data parallelism may change the order of floating-point
// sums and nothing else, so in f64 the per-step losses agree to 1e-9 relative; in f32 they agree
// to kF32Tolerance (the rounding differences of f32 grow over the steps of training).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "../lm/lm_fixtures.hpp"

using namespace wengert;
using namespace wengert::lm;

namespace {

// Relative, per-step loss and validation perplexity over 2 epochs of a tiny model; measured: at
// most 1e-7 (f64: at most 1e-15).
constexpr double kF32Tolerance = 1e-5;

Replicas& world() { return world_replicas(); }

struct Record {
  std::vector<double> losses;  // per batch
  std::vector<double> val_ppl;
};

Record train(Trainer& trainer) {
  Record record;
  trainer.on_batch = [&](const BatchStats& s) { record.losses.push_back(s.loss); };
  trainer.on_epoch = [&](const EpochStats& s) { record.val_ppl.push_back(s.val_ppl); };
  trainer.fit();
  return record;
}

double relative(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

void check_same(const std::vector<double>& got, const std::vector<double>& expected,
                double tolerance) {
  REQUIRE(got.size() == expected.size());
  REQUIRE(!got.empty());
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    worst = std::max(worst, relative(got[i], expected[i]));
  INFO("largest relative difference " << worst << " over " << got.size() << " values");
  CHECK(worst <= tolerance);
}

ModelConfig model_of(std::int64_t vocab, nn::CellKind cell, DType dtype) {
  ModelConfig m = wengert::testing::tiny_model(vocab, 16);
  m.cell = cell;
  m.dtype = dtype;
  return m;
}

// A folder every rank sees under the same name (rank 0's pid), created and removed by rank 0.
std::filesystem::path shared_folder(const std::string& name) {
  const auto pid = static_cast<std::int64_t>(world().sum(world().is_root() ? ::getpid() : 0.0));
  const auto dir = std::filesystem::temp_directory_path() /
                   ("wengert-lm-mpi-" + std::to_string(pid) + "-" + name);
  if (world().is_root()) std::filesystem::create_directories(dir);
  world().barrier();
  return dir;
}

}  // namespace

TEST_CASE("N replicas train exactly like one process: per-step losses and validation") {
  auto data = wengert::testing::char_data(4000);
  const std::int64_t V = data.tokenizer.vocab_size();
  struct Case {
    const char* name;
    nn::CellKind cell;
    Partition partition;
    Truncation truncation;
    std::int64_t accumulate;
    OptimizerKind optimizer;
  };
  const Case cases[] = {
      {"rnn, sequential, fixed", nn::CellKind::rnn_tanh, Partition::sequential, Truncation::fixed,
       1, OptimizerKind::sgd},
      {"lstm, random partition, adam", nn::CellKind::lstm, Partition::random, Truncation::fixed, 1,
       OptimizerKind::adam},
      {"gru, sequential, random truncation, accumulate 2", nn::CellKind::gru, Partition::sequential,
       Truncation::random, 2, OptimizerKind::sgd},
      {"rnn, truncation none", nn::CellKind::rnn_tanh, Partition::sequential, Truncation::none, 1,
       OptimizerKind::sgd},
  };
  for (const Case& c : cases) {
    for (DType dtype : {DType::f64, DType::f32}) {
      INFO(c.name << ", " << dtype << ", " << world().size() << " replicas");
      TrainConfig t = wengert::testing::tiny_train(2);
      t.partition = c.partition;
      t.truncation = c.truncation;
      t.accumulate = c.accumulate;
      t.optimizer = c.optimizer;
      if (c.optimizer == OptimizerKind::adam) t.lr = 0.01;
      const ModelConfig m = model_of(V, c.cell, dtype);
      Trainer alone(m, t, data.split.train, data.split.val, one_process());
      Trainer replicas(m, t, data.split.train, data.split.val, world());
      const Record expected = train(alone), got = train(replicas);
      const double tolerance = dtype == DType::f64 ? 1e-9 : kF32Tolerance;
      check_same(got.losses, expected.losses, tolerance);
      check_same(got.val_ppl, expected.val_ppl, tolerance);
      // The replicas hold the same weights as each other (the step is taken on the same averaged
      // gradient) and as the lone process.
      const auto mine = replicas.model().parameters(), reference = alone.model().parameters();
      for (std::size_t k = 0; k < mine.size(); ++k) {
        Tensor root = mine[k].value().contiguous().clone();
        std::vector<Var> as_list{Var(root)};
        world().broadcast_from_root(as_list);
        CHECK(max_abs_diff(mine[k].value(), root) == 0);
        CHECK(max_abs_diff(mine[k].value(), reference[k].value()) <
              (dtype == DType::f64 ? 1e-10 : 1e-3));
      }
    }
  }
}

TEST_CASE("a checkpoint does not depend on the number of replicas: resume with another N") {
  auto data = wengert::testing::char_data(4000);
  const std::int64_t V = data.tokenizer.vocab_size();
  const ModelConfig m = model_of(V, nn::CellKind::lstm, DType::f64);
  const TrainConfig t = wengert::testing::tiny_train(2);
  Trainer reference(m, t, data.split.train, data.split.val, one_process());
  const Record uninterrupted = train(reference);
  const std::int64_t stop_at = 5;  // stop after 5 batches of the first epoch
  const auto tail = [&](std::size_t from) {
    return std::vector<double>(uninterrupted.losses.begin() + static_cast<std::ptrdiff_t>(from),
                               uninterrupted.losses.end());
  };
  const auto stop_after = [&](Trainer& trainer, std::int64_t batches) {
    trainer.on_batch = [&trainer, batches](const BatchStats& s) {
      if (s.batch + 1 == batches) trainer.request_stop();
    };
    REQUIRE(trainer.fit() == FitResult::stopped);
  };
  const auto dir = shared_folder("resume");

  SECTION("N replicas stop mid-epoch; one process resumes") {
    Trainer first(m, t, data.split.train, data.split.val, world());
    stop_after(first, stop_at);
    first.save_checkpoint(dir / "checkpoint");  // collective: rank 0 writes the B streams' state
    Trainer second(m, t, data.split.train, data.split.val, one_process());
    second.load_checkpoint(dir / "checkpoint");
    CHECK(second.batch_in_epoch() == stop_at);
    const Record rest = train(second);
    check_same(rest.losses, tail(stop_at), 1e-9);
    check_same(rest.val_ppl, uninterrupted.val_ppl, 1e-9);
  }
  SECTION("one process stops mid-epoch; N replicas resume") {
    if (world().is_root()) {
      Trainer first(m, t, data.split.train, data.split.val, one_process());
      stop_after(first, stop_at);
      first.save_checkpoint(dir / "checkpoint");
    }
    world().barrier();
    Trainer second(m, t, data.split.train, data.split.val, world());
    second.load_checkpoint(dir / "checkpoint");
    const Record rest = train(second);
    check_same(rest.losses, tail(stop_at), 1e-9);
    check_same(rest.val_ppl, uninterrupted.val_ppl, 1e-9);
  }
  world().barrier();
  if (world().is_root()) std::filesystem::remove_all(dir);
}

TEST_CASE("a stop requested on one replica stops every replica at the same batch") {
  auto data = wengert::testing::char_data(4000, 0.0);
  const ModelConfig m = model_of(data.tokenizer.vocab_size(), nn::CellKind::rnn_tanh, DType::f32);
  Trainer trainer(m, wengert::testing::tiny_train(1), data.split.train, {}, world());
  const int last = world().size() - 1;
  trainer.on_batch = [&](const BatchStats& s) {
    if (world().rank() == last && s.batch == 2) trainer.request_stop();  // one rank only
  };
  CHECK(trainer.fit() == FitResult::stopped);
  CHECK(trainer.batch_in_epoch() == 3);
}

TEST_CASE("a batch that does not divide among the replicas is refused, naming both") {
  if (world().size() == 1) return;
  auto data = wengert::testing::char_data(4000, 0.0);
  TrainConfig t = wengert::testing::tiny_train(1);
  t.batch = world().size() + 1;
  const std::string expected = "--batch " + std::to_string(t.batch) + " does not divide among " +
                               std::to_string(world().size()) + " processes";
  CHECK_THROWS_WITH(Trainer(wengert::testing::tiny_model(data.tokenizer.vocab_size()), t,
                            data.split.train, {}, world()),
                    Catch::Contains(expected));
}
