// The Trainer end to end on a 12k-character slice: perplexity falls well below the vocabulary
// size, generation continues a prefix, the state is carried (sequential) or reset (random), and
// the truncation modes behave as documented.
#include <catch2/catch.hpp>
#include <cmath>

#include "lm_fixtures.hpp"

using namespace wengert;
using namespace wengert::lm;

TEST_CASE("a tiny RNN learns a slice of The Time Machine, then evaluates and generates") {
  auto data = wengert::testing::char_data(12000);
  const std::int64_t V = data.tokenizer.vocab_size();
  TrainConfig train = wengert::testing::tiny_train(3);
  Trainer trainer(wengert::testing::tiny_model(V, 32), train, data.split.train, data.split.val);
  std::int64_t batches_seen = 0;
  trainer.on_batch = [&](const BatchStats& s) {
    ++batches_seen;
    CHECK(std::isfinite(s.loss));
    CHECK(s.grad_norm >= 0);
  };
  REQUIRE(trainer.fit() == FitResult::finished);
  const auto& h = trainer.history();
  REQUIRE(h.size() == 3);
  CHECK(batches_seen == h[0].batches + h[1].batches + h[2].batches);
  CHECK(h[2].train_ppl < h[0].train_ppl);
  CHECK(h[2].train_ppl < static_cast<double>(V) / 2.5);
  CHECK(h[2].val_ppl < static_cast<double>(V) / 2.5);
  // evaluate() on the validation ids is what the epoch reported.
  const Evaluation val = evaluate(trainer.model(), trainer.val_ids(), train.batch, train.steps);
  CHECK(val.perplexity() == Approx(h[2].val_ppl).epsilon(1e-12));

  Generator gen(3);
  const std::string text = generate(trainer.model(), data.tokenizer, "time traveller", 30, {}, gen);
  CHECK(text.size() == std::string("time traveller").size() + 30);
  CHECK(text.starts_with("time traveller"));
  nn::SamplingOptions greedy;
  greedy.greedy = true;
  Generator g1(1), g2(2);
  CHECK(generate(trainer.model(), data.tokenizer, "the", 20, greedy, g1) ==
        generate(trainer.model(), data.tokenizer, "the", 20, greedy, g2));
}

TEST_CASE("sequential partitioning carries the state, random partitioning resets it") {
  auto data = wengert::testing::char_data(6000, 0.0);
  const std::int64_t V = data.tokenizer.vocab_size();
  for (Partition partition : {Partition::sequential, Partition::random}) {
    TrainConfig train = wengert::testing::tiny_train(1);
    train.partition = partition;
    Trainer trainer(wengert::testing::tiny_model(V, 16), train, data.split.train, {});
    std::vector<bool> carried;
    trainer.on_batch = [&](const BatchStats& s) { carried.push_back(s.carried_state); };
    trainer.fit();
    REQUIRE(carried.size() > 3);
    const auto& stats = trainer.history().at(0);
    CHECK(std::isnan(stats.val_ppl));
    if (partition == Partition::sequential) {
      CHECK_FALSE(carried.front());
      CHECK(std::all_of(carried.begin() + 1, carried.end(), [](bool c) { return c; }));
      CHECK(stats.carried_batches == stats.batches - 1);
    } else {
      CHECK(std::none_of(carried.begin(), carried.end(), [](bool c) { return c; }));
      CHECK(stats.carried_batches == 0);
    }
  }
}

TEST_CASE("truncation none sees the same forward losses as fixed and updates once per epoch") {
  auto data = wengert::testing::char_data(5000, 0.0);
  const std::int64_t V = data.tokenizer.vocab_size();
  auto run = [&](Truncation truncation, double lr, std::vector<double>& losses) {
    TrainConfig train = wengert::testing::tiny_train(1);
    train.truncation = truncation;
    train.lr = lr;
    auto trainer = std::make_unique<Trainer>(wengert::testing::tiny_model(V, 16), train,
                                             data.split.train, std::vector<std::int64_t>{});
    trainer->on_batch = [&](const BatchStats& s) { losses.push_back(s.loss); };
    trainer->fit();
    return trainer;
  };
  // With lr = 1e-30 the fixed run's updates vanish in float rounding: its forward losses are
  // those of the initial parameters, exactly what none computes over its whole epoch.
  std::vector<double> fixed_losses, none_losses, fixed_lr1_losses;
  auto frozen = run(Truncation::fixed, 1e-30, fixed_losses);
  auto none = run(Truncation::none, 1.0, none_losses);
  auto fixed = run(Truncation::fixed, 1.0, fixed_lr1_losses);
  REQUIRE(none_losses.size() == fixed_losses.size());
  CHECK(none_losses == fixed_losses);
  CHECK(fixed_lr1_losses.front() == none_losses.front());  // same start
  CHECK(fixed_lr1_losses.back() < none_losses.back());     // many updates vs none yet
  TrainConfig untrained = wengert::testing::tiny_train(0);
  Trainer initial(wengert::testing::tiny_model(V, 16), untrained, data.split.train, {});
  CHECK(wengert::testing::same_parameters(frozen->model(), initial.model()));
  CHECK_FALSE(
      wengert::testing::same_parameters(none->model(), frozen->model()));  // one update at the end
  CHECK_FALSE(wengert::testing::same_parameters(none->model(), fixed->model()));
}

TEST_CASE("random truncation draws segment lengths around T, with or without reweighting") {
  auto data = wengert::testing::char_data(6000, 0.0);
  const std::int64_t V = data.tokenizer.vocab_size();
  for (bool unbiased : {false, true}) {
    TrainConfig train = wengert::testing::tiny_train(1);
    train.truncation = Truncation::random;
    train.unbiased = unbiased;
    Trainer trainer(wengert::testing::tiny_model(V, 16), train, data.split.train, {});
    std::vector<std::int64_t> lengths;
    trainer.on_batch = [&](const BatchStats& s) {
      lengths.push_back(s.tokens / train.batch);
      CHECK(std::isfinite(s.loss));
    };
    trainer.fit();
    const RandomTruncation truncation(train.steps);
    REQUIRE(lengths.size() > 10);
    const auto [lo, hi] = std::minmax_element(lengths.begin(), lengths.end() - 1);
    CHECK(*lo >= truncation.min_length);
    CHECK(*hi > train.steps);  // some segments run past T
    double mean = 0;
    for (auto l : lengths) mean += static_cast<double>(l);
    mean /= static_cast<double>(lengths.size());
    CHECK(mean == Approx(static_cast<double>(train.steps)).epsilon(0.35));
  }
}

TEST_CASE("scale_gradient is the identity forward and scales the gradient") {
  Var x(tensor({0.25, -1.5, 3.0}), true);
  Var y = scale_gradient(x, 2.5);
  CHECK(wengert::testing::same_bits(y.value(), x.value()));
  sum(y * 3.0).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{7.5, 7.5, 7.5});
}

TEST_CASE("step-by-step reweighted forward equals the plain forward") {
  Generator gen(5);
  ModelConfig config = wengert::testing::tiny_model(11, 8);
  config.cell = nn::CellKind::lstm;
  config.layers = 2;
  LanguageModel model(config, gen);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 7 * 3; ++i) ids.push_back((i * 5 + 3) % 11);
  const Tensor x = from_vector(ids, {7, 3});
  const StepReweighting reweighting{3, 1.25};
  const auto plain = model.forward(x, {}, gen);
  const auto stepped = model.forward(x, {}, gen, &reweighting);
  const auto a = plain.logits.value().to_vector<double>(),
             b = stepped.logits.value().to_vector<double>();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(b[i] == Approx(a[i]).margin(1e-5));
}

TEST_CASE("accumulate 2 over half minibatches takes the steps of whole minibatches (f64)") {
  // Random partitioning draws the same shuffled subsequences whatever the batch size, so batches
  // 2w and 2w+1 of B = 4 are batch w of B = 8: the mean of their two gradients is its gradient.
  auto data = wengert::testing::char_data(6000, 0.0);
  ModelConfig m = wengert::testing::tiny_model(data.tokenizer.vocab_size(), 16);
  m.dtype = DType::f64;
  TrainConfig whole = wengert::testing::tiny_train(1);
  whole.partition = Partition::random;
  whole.batch = 8;
  TrainConfig halves = whole;
  halves.batch = 4;
  halves.accumulate = 2;
  std::vector<BatchStats> a, b;
  Trainer one(m, whole, data.split.train, {}), two(m, halves, data.split.train, {});
  one.on_batch = [&](const BatchStats& s) { a.push_back(s); };
  two.on_batch = [&](const BatchStats& s) { b.push_back(s); };
  one.fit();
  two.fit();
  REQUIRE(a.size() > 5);
  REQUIRE(b.size() >= 2 * a.size());
  for (std::size_t w = 0; w < a.size(); ++w) {
    INFO("update " << w);
    CHECK(std::isnan(b[2 * w].grad_norm));  // no update after the first batch of a window
    CHECK((b[2 * w].loss + b[2 * w + 1].loss) / 2 == Approx(a[w].loss).epsilon(1e-12));
    CHECK(b[2 * w + 1].grad_norm == Approx(a[w].grad_norm).epsilon(1e-12));
  }
}

TEST_CASE("with --accumulate a stop waits for the end of the accumulation window") {
  auto data = wengert::testing::char_data(5000, 0.0);
  TrainConfig t = wengert::testing::tiny_train(1);
  t.accumulate = 3;
  Trainer trainer(wengert::testing::tiny_model(data.tokenizer.vocab_size(), 16), t,
                  data.split.train, {});
  trainer.on_batch = [&](const BatchStats& s) {
    if (s.batch == 3) trainer.request_stop();
  };
  CHECK(trainer.fit() == FitResult::stopped);
  CHECK(trainer.batch_in_epoch() == 6);
  t.truncation = Truncation::none;
  CHECK_THROWS_WITH(t.validate(),
                    Catch::Contains("--accumulate needs --truncation fixed or random"));
}
