// EpochPlan: sequential rows continue across batches, random batches are distinct subsequences,
// targets are the inputs shifted by one, and an epoch is rebuilt exactly from its generator state.
#include <catch2/catch.hpp>
#include <set>

#include "lm_fixtures.hpp"

using namespace wengert;
using namespace wengert::lm;

namespace {
std::vector<std::int64_t> counting(std::int64_t n) {
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = i;
  return ids;
}
}  // namespace

TEST_CASE("sequential batches continue each row and targets are shifted inputs") {
  const auto ids = counting(1000);
  TrainConfig t = lm_test::tiny_train();
  t.steps = 7;
  t.batch = 5;
  Generator gen(1);
  const EpochPlan plan(ids, t, gen);
  REQUIRE(plan.num_batches() >= 20);
  for (std::int64_t k = 0; k < plan.num_batches(); ++k) {
    const Batch b = plan.batch(k);
    REQUIRE(b.inputs.shape() == Shape{7, 5});
    for (std::int64_t r = 0; r < 5; ++r) {
      for (std::int64_t s = 0; s < 7; ++s) {
        CHECK(b.targets.at({s, r}) == b.inputs.at({s, r}) + 1);
        if (s > 0) CHECK(b.inputs.at({s, r}) == b.inputs.at({s - 1, r}) + 1);
      }
      if (k > 0) CHECK(b.inputs.at({0, r}) == plan.batch(k - 1).inputs.at({6, r}) + 1);
    }
  }
}

TEST_CASE(
    "random batches are distinct T-aligned subsequences and plans replay from the RNG state") {
  const auto ids = counting(1000);
  TrainConfig t = lm_test::tiny_train();
  t.steps = 10;
  t.batch = 4;
  t.partition = Partition::random;
  Generator gen(9);
  const auto start = gen.state();
  const EpochPlan plan(ids, t, gen);
  std::set<double> starts;
  for (std::int64_t k = 0; k < plan.num_batches(); ++k) {
    const Batch b = plan.batch(k);
    for (std::int64_t r = 0; r < 4; ++r) starts.insert(b.inputs.at({0, r}));
  }
  CHECK(starts.size() == static_cast<std::size_t>(plan.num_batches() * 4));
  const auto offset = static_cast<std::int64_t>(*starts.begin()) % 10;
  for (double s : starts) CHECK(static_cast<std::int64_t>(s) % 10 == offset);

  Generator replay(0);
  replay.set_state(start);
  const EpochPlan again(ids, t, replay);
  CHECK(replay.state() == gen.state());
  for (std::int64_t k = 0; k < plan.num_batches(); ++k) {
    CHECK(lm_test::same_bits(plan.batch(k).inputs, again.batch(k).inputs));
  }
  CHECK_THROWS_WITH(EpochPlan(std::span(ids).first(40), t, gen),
                    Catch::Contains("corpus too short"));
}
