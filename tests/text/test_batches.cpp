// Minibatches: shapes and the Y = X + 1 shift, the continuation property of sequential
// batches, coverage without overlap of random ones, reproducibility, resume and bad input.
#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>
#include <set>
#include <wengert/tensor/error.hpp>
#include <wengert/text/batches.hpp>

using namespace wengert::text;

namespace {

// Token value == its position, so a batch shows where it came from.
std::vector<std::int64_t> positions(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

std::int64_t at(const wengert::Tensor& t, std::int64_t b, std::int64_t s) {
  return t.data<std::int64_t>()[b * t.shape()[1] + s];
}

void check_shift(const Batch& batch, std::int64_t B, std::int64_t T) {
  REQUIRE(batch.x.shape() == wengert::Shape{B, T});
  REQUIRE(batch.y.shape() == wengert::Shape{B, T});
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t s = 0; s < T; ++s) {
      CHECK(at(batch.y, b, s) == at(batch.x, b, s) + 1);
      if (s > 0) CHECK(at(batch.x, b, s) == at(batch.x, b, s - 1) + 1);
    }
  }
}

}  // namespace

TEST_CASE("batches: sequential rows continue across minibatches", "[text][batches]") {
  const std::int64_t B = 3, T = 5;
  const SequenceLoader loader(positions(200), {B, T, Partition::sequential, 42});
  CHECK(loader.batches_per_epoch() == (200 - 1 - (T - 1)) / (B * T));
  for (std::int64_t e = 0; e < 4; ++e) {
    std::vector<Batch> batches;
    for (const Batch& batch : loader.epoch(e)) batches.push_back(batch);
    REQUIRE(static_cast<std::int64_t>(batches.size()) == loader.batches_per_epoch());
    for (std::size_t k = 0; k < batches.size(); ++k) {
      check_shift(batches[k], B, T);
      if (k == 0) continue;
      for (std::int64_t b = 0; b < B; ++b) {
        CHECK(at(batches[k].x, b, 0) == at(batches[k - 1].x, b, T - 1) + 1);
      }
    }
    CHECK(at(batches[0].x, 0, 0) == loader.epoch(e).offset());
    CHECK(loader.epoch(e).offset() < T);
  }
}

TEST_CASE("batches: random subsequences cover the text without overlap", "[text][batches]") {
  const std::int64_t B = 4, T = 6, N = 1 + 10 * B * T;  // exactly 10 batches at offset 0
  const SequenceLoader loader(positions(N), {B, T, Partition::random, 7, false});
  REQUIRE(loader.batches_per_epoch() == 10);
  std::set<std::int64_t> starts;
  std::int64_t adjacent = 0, previous_end = -1;
  for (const Batch& batch : loader.epoch(0)) {
    check_shift(batch, B, T);
    for (std::int64_t b = 0; b < B; ++b) {
      const std::int64_t s = at(batch.x, b, 0);
      CHECK(s % T == 0);
      CHECK(starts.insert(s).second);  // no subsequence twice
    }
    if (at(batch.x, 0, 0) == previous_end + 1) ++adjacent;
    previous_end = at(batch.x, 0, T - 1);
  }
  // Every subsequence is used exactly once: together they tile [0, N - 1).
  CHECK(static_cast<std::int64_t>(starts.size()) == 10 * B);
  CHECK(*starts.rbegin() == N - 1 - T);
  CHECK(adjacent < 3);  // a shuffled order, not the text order

  // With a random offset, subsequences still never overlap and stay aligned to the offset.
  const SequenceLoader shifted(positions(500), {B, T, Partition::random, 9});
  for (std::int64_t e = 0; e < 5; ++e) {
    const EpochBatches epoch = shifted.epoch(e);
    std::set<std::int64_t> seen;
    for (const Batch& batch : epoch) {
      for (std::int64_t b = 0; b < B; ++b) {
        const std::int64_t s = at(batch.x, b, 0);
        CHECK((s - epoch.offset()) % T == 0);
        CHECK(seen.insert(s).second);
      }
    }
    CHECK(static_cast<std::int64_t>(seen.size()) == shifted.batches_per_epoch() * B);
  }
}

TEST_CASE("batches: reproducible from the seed, different across epochs", "[text][batches]") {
  const BatchOptions options{2, 4, Partition::random, 123};
  const SequenceLoader a(positions(300), options), b(positions(300), options);
  for (std::int64_t k = 0; k < a.batches_per_epoch(); ++k) {
    CHECK(a.epoch(1).batch(k).x.to_vector<std::int64_t>() ==
          b.epoch(1).batch(k).x.to_vector<std::int64_t>());
  }
  CHECK(a.epoch(0).batch(0).x.to_vector<std::int64_t>() !=
        a.epoch(1).batch(0).x.to_vector<std::int64_t>());
  CHECK(a.epoch(3).seed() == epoch_seed(123, 3));
}

TEST_CASE("batches: resume from a saved state gives the same batches", "[text][batches]") {
  for (const Partition p : {Partition::random, Partition::sequential}) {
    const SequenceLoader loader(positions(400), {3, 5, p, 99});
    std::vector<std::vector<std::int64_t>> full;
    for (const Batch& batch : loader.epoch(2)) full.push_back(batch.x.to_vector<std::int64_t>());

    LoaderState saved;
    const EpochBatches epoch = loader.epoch(2);
    for (auto it = epoch.begin(); it != epoch.end(); ++it) {
      if (it.index() == 4) {
        saved = epoch.state_after(it.index());
        break;
      }
    }
    CHECK(saved == LoaderState{99, 2, 5});
    std::int64_t k = saved.batch;
    for (const Batch& batch : loader.resume(saved)) {
      CHECK(batch.x.to_vector<std::int64_t>() == full[static_cast<std::size_t>(k++)]);
    }
    CHECK(k == loader.batches_per_epoch());
    CHECK(epoch.state_after(loader.batches_per_epoch() - 1) == LoaderState{99, 3, 0});
  }
}

TEST_CASE("batches: train/validation split", "[text][batches]") {
  const auto split = split_train_valid(positions(100), 0.1);
  CHECK(split.train.size() == 90u);
  CHECK(split.valid.front() == 90);
  CHECK(split_train_valid(positions(10), 0.0).valid.empty());
  CHECK_THROWS_WITH(split_train_valid(positions(10), 1.0), Catch::Contains("valid_fraction"));
}

TEST_CASE("batches: bad input gives clear errors", "[text][batches]") {
  CHECK_THROWS_WITH(SequenceLoader({}, {2, 3}), Catch::Contains("the token stream is empty"));
  CHECK_THROWS_WITH(SequenceLoader(positions(10), {0, 3}),
                    Catch::Contains("batch_size must be >= 1, got 0"));
  CHECK_THROWS_WITH(SequenceLoader(positions(10), {2, 0}),
                    Catch::Contains("num_steps must be >= 1, got 0"));
  CHECK_THROWS_WITH(SequenceLoader(positions(10), {2, 5}),
                    Catch::Contains("shorter than one minibatch"));
  // Just long enough: B*T + 1 tokens plus room for the largest offset.
  CHECK(SequenceLoader(positions(2 * 5 + 1 + 4), {2, 5}).batches_per_epoch() == 1);
  const SequenceLoader loader(positions(50), {2, 5});
  CHECK_THROWS_WITH(loader.epoch(0).batch(99), Catch::Contains("out of range"));
  CHECK_THROWS_AS(loader.epoch(0, 99), wengert::Error);
  CHECK_THROWS_AS(loader.resume({1234, 0, 0}), wengert::Error);
}
