// Exact resume: 2 epochs straight == 1 epoch + checkpoint + resume, bit for bit (parameters and
// per-epoch losses), also when stopped in the middle of an epoch; and checkpoints that do not fit
// the model are refused without changing it.
#include <catch2/catch.hpp>

#include "lm_fixtures.hpp"

using namespace wengert;
using namespace wengert::lm;

namespace {

// A GRU with 2 layers, dropout and Adam: every piece of state a resume must restore.
struct Setup {
  wengert::testing::Data data = wengert::testing::char_data(6000);
  ModelConfig model() const {
    ModelConfig m = wengert::testing::tiny_model(data.tokenizer.vocab_size(), 16);
    m.cell = nn::CellKind::gru;
    m.layers = 2;
    m.dropout = 0.2;
    m.embedding = 8;
    return m;
  }
  TrainConfig train(std::int64_t epochs, Truncation truncation = Truncation::fixed) const {
    TrainConfig t = wengert::testing::tiny_train(epochs);
    t.optimizer = OptimizerKind::adam;
    t.lr = 0.01;
    t.truncation = truncation;
    return t;
  }
  std::unique_ptr<Trainer> trainer(std::int64_t epochs,
                                   Truncation truncation = Truncation::fixed) const {
    return std::make_unique<Trainer>(model(), train(epochs, truncation), data.split.train,
                                     data.split.val);
  }
};

void check_same_history(const Trainer& a, const Trainer& b) {
  REQUIRE(a.history().size() == b.history().size());
  for (std::size_t i = 0; i < a.history().size(); ++i) {
    CHECK(a.history()[i].train_loss == b.history()[i].train_loss);
    CHECK(a.history()[i].val_loss == b.history()[i].val_loss);
    CHECK(a.history()[i].tokens == b.history()[i].tokens);
  }
}

}  // namespace

TEST_CASE("resuming from an epoch checkpoint continues bit for bit") {
  for (Truncation truncation : {Truncation::fixed, Truncation::random, Truncation::none}) {
    CAPTURE(truncation_name(truncation));
    Setup s;
    wengert::testing::ScratchDir dir("resume-epoch");
    auto straight = s.trainer(2, truncation);
    straight->fit();

    auto first = s.trainer(1, truncation);
    first->fit();
    first->save_checkpoint(dir.path / "checkpoint");
    auto resumed = s.trainer(2, truncation);
    resumed->load_checkpoint(dir.path / "checkpoint");
    CHECK(resumed->epochs_done() == 1);
    CHECK(resumed->fit() == FitResult::finished);

    CHECK(wengert::testing::same_parameters(straight->model(), resumed->model()));
    check_same_history(*straight, *resumed);
  }
}

TEST_CASE("a stop in the middle of an epoch saves a checkpoint that resumes exactly") {
  for (Partition partition : {Partition::sequential, Partition::random}) {
    Setup s;
    wengert::testing::ScratchDir dir("resume-mid");
    TrainConfig t = s.train(2);
    t.partition = partition;
    auto straight = std::make_unique<Trainer>(s.model(), t, s.data.split.train, s.data.split.val);
    straight->fit();

    for (std::int64_t stop_after : {-1, 4}) {  // -1: at the end of epoch 1, before batch 0
      CAPTURE(stop_after);
      Trainer stopped(s.model(), t, s.data.split.train, s.data.split.val);
      stopped.on_batch = [&](const BatchStats& b) {
        if (b.epoch == 2 && b.batch == stop_after) stopped.request_stop();
      };
      stopped.on_epoch = [&](const EpochStats& e) {
        if (e.epoch == 1 && stop_after < 0) stopped.request_stop();
      };
      REQUIRE(stopped.fit() == FitResult::stopped);
      CHECK(stopped.epochs_done() == 1);
      CHECK(stopped.batch_in_epoch() == stop_after + 1);
      stopped.save_checkpoint(dir.path / "checkpoint");

      Trainer resumed(s.model(), t, s.data.split.train, s.data.split.val);
      resumed.load_checkpoint(dir.path / "checkpoint");
      CHECK(resumed.batch_in_epoch() == stop_after + 1);
      REQUIRE(resumed.fit() == FitResult::finished);
      CHECK(wengert::testing::same_parameters(straight->model(), resumed.model()));
      check_same_history(*straight, resumed);
    }
  }
}

TEST_CASE("a checkpoint of another model is refused and changes nothing") {
  Setup s;
  wengert::testing::ScratchDir dir("resume-bad");
  auto gru = s.trainer(1);
  gru->fit();
  gru->save_checkpoint(dir.path / "checkpoint");

  ModelConfig lstm = s.model();
  lstm.cell = nn::CellKind::lstm;
  Trainer other(lstm, s.train(1), s.data.split.train, s.data.split.val);
  const auto before = other.model().state_dict();
  std::vector<Tensor> copies;
  for (const auto& [name, value] : before) copies.push_back(value.clone());
  CHECK_THROWS_WITH(other.load_checkpoint(dir.path / "checkpoint"),
                    Catch::Contains("different model"));
  const auto after = other.model().state_dict();
  for (std::size_t i = 0; i < after.size(); ++i)
    CHECK(wengert::testing::same_bits(after[i].second, copies[i]));
  CHECK(other.epochs_done() == 0);

  CHECK_THROWS_WITH(other.load_checkpoint(dir.path / "nowhere"), Catch::Contains("no such folder"));
  std::filesystem::remove(dir.path / "checkpoint" / "trainer.json");
  CHECK_THROWS_WITH(gru->load_checkpoint(dir.path / "checkpoint"), Catch::Contains("trainer.json"));
}
