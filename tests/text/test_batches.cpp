// Minibatches: shapes and the Y = X + 1 shift, the continuation property of sequential
// batches, coverage without overlap of random ones, segment lengths, the time-major layout and
// one replica's share of the streams (each against index arithmetic written out here),
// reproducibility, resume and bad input.
#include <algorithm>
#include <catch2/catch.hpp>
#include <limits>
#include <numeric>
#include <set>
#include <wengert/tensor/error.hpp>
#include <wengert/text/batches.hpp>

using namespace wengert::text;
using wengert::Generator;

namespace {

// Token value == its position, so a batch shows where it came from.
std::vector<std::int64_t> positions(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// Element (b, t) of a batch tensor in either layout.
std::int64_t at(const wengert::Tensor& t, std::int64_t b, std::int64_t s,
                Layout layout = Layout::batch_major) {
  return layout == Layout::batch_major ? t.data<std::int64_t>()[b * t.shape()[1] + s]
                                       : t.data<std::int64_t>()[s * t.shape()[1] + b];
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

// The offset an epoch draws first: below(T) from the epoch's generator.
std::int64_t drawn_offset(std::uint64_t seed, std::int64_t epoch, std::int64_t T) {
  Generator gen(epoch_seed(seed, epoch));
  return static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(T)));
}

}  // namespace

TEST_CASE("batches: sequential rows continue across minibatches", "[text][batches]") {
  const std::int64_t B = 3, T = 5, n = 200;
  const SequenceLoader loader(positions(n), {B, T, Partition::sequential, 42});
  for (std::int64_t e = 0; e < 4; ++e) {
    // The rule written out: offset o, streams of L = (n - o - 1) / B tokens, L / T batches.
    const std::int64_t o = drawn_offset(42, e, T), L = (n - o - 1) / B;
    const EpochBatches epoch = loader.epoch(e);
    CHECK(epoch.offset() == o);
    CHECK(epoch.stream_length() == L);
    std::vector<Batch> batches;
    for (const Batch& batch : epoch) batches.push_back(batch);
    REQUIRE(static_cast<std::int64_t>(batches.size()) == L / T);
    for (std::size_t k = 0; k < batches.size(); ++k) {
      check_shift(batches[k], B, T);
      for (std::int64_t b = 0; b < B; ++b) {
        CHECK(at(batches[k].x, b, 0) == o + b * L + static_cast<std::int64_t>(k) * T);
        if (k > 0) CHECK(at(batches[k].x, b, 0) == at(batches[k - 1].x, b, T - 1) + 1);
      }
    }
  }
}

TEST_CASE("batches: random subsequences cover the text without overlap", "[text][batches]") {
  const std::int64_t B = 4, T = 6, N = 1 + 10 * B * T;  // exactly 10 batches at offset 0
  const SequenceLoader loader(positions(N), {B, T, Partition::random, 7, false});
  REQUIRE(loader.epoch(0).num_batches() == 10);
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

  // With a random offset o, subsequences never overlap, stay aligned to o, and there are
  // ((N - o - 1) / T) / B batches of them.
  const std::int64_t n = 500;
  const SequenceLoader shifted(positions(n), {B, T, Partition::random, 9});
  for (std::int64_t e = 0; e < 5; ++e) {
    const EpochBatches epoch = shifted.epoch(e);
    const std::int64_t o = drawn_offset(9, e, T);
    CHECK(epoch.offset() == o);
    CHECK(epoch.num_batches() == (n - o - 1) / T / B);
    std::set<std::int64_t> seen;
    for (const Batch& batch : epoch) {
      for (std::int64_t b = 0; b < B; ++b) {
        const std::int64_t s = at(batch.x, b, 0);
        CHECK((s - o) % T == 0);
        CHECK(s + T <= n - 1);  // its last target exists
        CHECK(seen.insert(s).second);
      }
    }
    CHECK(static_cast<std::int64_t>(seen.size()) == epoch.num_batches() * B);
  }
}

TEST_CASE("batches: segment lengths cut the sequential streams", "[text][batches]") {
  const std::int64_t B = 3, T = 4, n = 301;
  // Any lengths in [1, left]: here 1 + below(min(left, 2T)).
  const SegmentLengths lengths = [](Generator& gen, std::int64_t left) {
    return 1 + static_cast<std::int64_t>(
                   gen.below(static_cast<std::uint64_t>(std::min<std::int64_t>(left, 2 * T))));
  };
  const SequenceLoader loader(positions(n),
                              {B, T, Partition::sequential, 5, true, Layout::batch_major, lengths});
  for (std::int64_t e = 0; e < 3; ++e) {
    // The expected segments, drawn from the epoch's generator after its offset.
    Generator gen(epoch_seed(5, e));
    const auto o = static_cast<std::int64_t>(gen.below(T));
    const std::int64_t L = (n - o - 1) / B;
    std::vector<std::int64_t> starts, sizes;
    for (std::int64_t column = 0; column < L; column += sizes.back()) {
      starts.push_back(column);
      sizes.push_back(lengths(gen, L - column));
    }
    const EpochBatches epoch = loader.epoch(e);
    REQUIRE(epoch.num_batches() == static_cast<std::int64_t>(sizes.size()));
    CHECK(std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0}) == L);  // all columns
    for (std::int64_t k = 0; k < epoch.num_batches(); ++k) {
      const auto i = static_cast<std::size_t>(k);
      CHECK(epoch.length(k) == sizes[i]);
      const Batch batch = epoch.batch(k);
      check_shift(batch, B, sizes[i]);
      for (std::int64_t b = 0; b < B; ++b) CHECK(at(batch.x, b, 0) == o + b * L + starts[i]);
    }
  }
  // Lengths outside [1, left] and lengths with random subsequences are refused.
  const SequenceLoader too_long(positions(n),
                                {B, T, Partition::sequential, 5, true, Layout::batch_major,
                                 [](Generator&, std::int64_t left) { return left + 1; }});
  CHECK_THROWS_WITH(too_long.epoch(0), Catch::Contains("segment_lengths returned"));
  CHECK_THROWS_WITH(SequenceLoader(positions(n), {B, T, Partition::random, 5, true,
                                                  Layout::batch_major, lengths}),
                    Catch::Contains("segment_lengths needs the sequential partitioning"));
  // A stream of one column is enough when lengths may be 1: B + 1 tokens plus the offset room.
  const BatchOptions short_ok{B, T, Partition::sequential, 5, true, Layout::batch_major, lengths};
  CHECK(min_tokens(short_ok) == B + 1 + T - 1);
  CHECK(SequenceLoader(positions(B + T), short_ok).epoch(0).num_batches() >= 1);
}

TEST_CASE("batches: time-major layout and one replica's share of the streams", "[text][batches]") {
  const std::int64_t B = 4, T = 5;
  for (const Partition p : {Partition::random, Partition::sequential}) {
    const SequenceLoader rows(positions(300), {B, T, p, 3});
    const SequenceLoader columns(positions(300), {B, T, p, 3, true, Layout::time_major});
    const EpochBatches by_rows = rows.epoch(1), by_columns = columns.epoch(1);
    REQUIRE(by_rows.num_batches() == by_columns.num_batches());
    for (std::int64_t k = 0; k < by_rows.num_batches(); ++k) {
      const Batch a = by_rows.batch(k), t = by_columns.batch(k);
      REQUIRE(t.x.shape() == wengert::Shape{T, B});
      // Streams [1, 3) alone, time-major [T, 2].
      const Batch share = by_columns.batch(k, 1, 2);
      REQUIRE(share.x.shape() == wengert::Shape{T, 2});
      for (std::int64_t b = 0; b < B; ++b) {
        for (std::int64_t s = 0; s < T; ++s) {
          CHECK(at(t.x, b, s, Layout::time_major) == at(a.x, b, s));
          CHECK(at(t.y, b, s, Layout::time_major) == at(a.y, b, s));
          CHECK(at(a.x, b, s) == by_rows.row_start(k, b) + s);
          if (b >= 1 && b < 3) {
            CHECK(at(share.x, b - 1, s, Layout::time_major) == at(a.x, b, s));
            CHECK(at(share.y, b - 1, s, Layout::time_major) == at(a.y, b, s));
          }
        }
      }
    }
    CHECK_THROWS_WITH(by_columns.batch(0, 3, 2),
                      Catch::Contains("2 streams from 3 are out of range"));
    // A count whose sum with first would overflow int64 is the same plain range error.
    CHECK_THROWS_WITH(by_columns.batch(0, 1, std::numeric_limits<std::int64_t>::max()),
                      Catch::Contains("streams from 1 are out of range"));
  }
}

TEST_CASE("batches: an epoch drawn from the caller's generator", "[text][batches]") {
  for (const Partition p : {Partition::random, Partition::sequential}) {
    const SequenceLoader loader(positions(400), {3, 5, p, 11});
    Generator gen(epoch_seed(11, 2));
    const EpochBatches mine = loader.epoch(gen), indexed = loader.epoch(2);
    REQUIRE(mine.num_batches() == indexed.num_batches());
    for (std::int64_t k = 0; k < mine.num_batches(); ++k) {
      CHECK(mine.batch(k).x.to_vector<std::int64_t>() ==
            indexed.batch(k).x.to_vector<std::int64_t>());
    }
    // The generator advanced by the epoch's draws: the next epoch drawn from it differs, and
    // replaying its state draws the same epoch again.
    Generator replay(epoch_seed(11, 2));
    const EpochBatches again = loader.epoch(replay);
    CHECK(replay.state() == gen.state());
    CHECK(again.batch(0).x.to_vector<std::int64_t>() == mine.batch(0).x.to_vector<std::int64_t>());
    CHECK(mine.epoch() == -1);
    CHECK_THROWS_WITH(mine.state_after(0), Catch::Contains("has no LoaderState"));
  }
}

TEST_CASE("batches: reproducible from the seed, different across epochs", "[text][batches]") {
  const BatchOptions options{2, 4, Partition::random, 123};
  const SequenceLoader a(positions(300), options), b(positions(300), options);
  for (std::int64_t k = 0; k < a.epoch(1).num_batches(); ++k) {
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
    CHECK(k == epoch.num_batches());
    CHECK(epoch.state_after(epoch.num_batches() - 1) == LoaderState{99, 3, 0});
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
  // Just long enough: B*T + 1 tokens plus room for the largest offset, one batch whatever the
  // offset drawn.
  CHECK(min_tokens({2, 5}) == 2 * 5 + 1 + 4);
  for (const Partition p : {Partition::random, Partition::sequential}) {
    const SequenceLoader shortest(positions(2 * 5 + 1 + 4), {2, 5, p});
    for (std::int64_t e = 0; e < 20; ++e) CHECK(shortest.epoch(e).num_batches() == 1);
  }
  const SequenceLoader loader(positions(50), {2, 5});
  CHECK_THROWS_WITH(loader.epoch(0).batch(99), Catch::Contains("out of range"));
  CHECK_THROWS_AS(loader.epoch(0, 99), wengert::Error);
  CHECK_THROWS_AS(loader.resume({1234, 0, 0}), wengert::Error);
}
