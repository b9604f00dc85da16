// Language-model minibatches over a token stream, the two partitionings of "Dive into Deep
// Learning" (seq_data_iter_random / seq_data_iter_sequential). Each batch is (X, Y), int64
// tensors of shape [B, T] (or [T, B] with Layout::time_major) with Y = X shifted by one token.
// One epoch first draws an offset o in [0, T) (0 without random_offset); the streams are cut from
// the n - o tokens after it (the drawn offset, as in d2l: no more tokens are dropped at the end
// than the partitioning needs), so the number of batches may differ by one between epochs:
//  - random: the subsequences ids[o + iT, o + (i+1)T), i < (n - o - 1) / T, dealt out in a
//    random order, B per batch (a last incomplete batch is dropped); adjacent minibatches are
//    not adjacent in the text;
//  - sequential: B parallel streams of L = (n - o - 1) / B tokens, stream b = ids[o + bL, o +
//    (b+1)L); batch k is columns [s_k, s_k + len_k) of every stream, so stream b of batch k+1
//    continues stream b of batch k (for carrying the hidden state across batches). The segment
//    lengths are num_steps each (the columns after the last whole segment are dropped), or drawn
//    one after the other by `segment_lengths` until the streams end (randomized truncation, or
//    a shorter last window to read every column, as evaluation does).
// The draws of an epoch (offset, shuffle, segment lengths) come from one Generator: by default a
// generator seeded with epoch_seed(seed, epoch), so that the data position is just LoaderState
// {seed, epoch, batch} (save it, and loader.resume(state) continues exactly); or a caller's own
// generator (loader.epoch(gen)), whose state the caller saves (the lm trainer does).
#pragma once

#include <cstdint>
#include <functional>
#include <iterator>
#include <span>
#include <vector>
#include <wengert/tensor/random.hpp>
#include <wengert/tensor/tensor.hpp>

namespace wengert::text {

enum class Partition { random, sequential };

// X and Y as [B, T] (batch_major) or [T, B] (time_major, the layout of nn::Recurrent's input).
enum class Layout { batch_major, time_major };

// The length of the next segment of the sequential streams given the columns left in them
// (>= 1); it must return a length in [1, remaining]. Drawn from the epoch's generator.
using SegmentLengths = std::function<std::int64_t(Generator& gen, std::int64_t remaining)>;

struct BatchOptions {
  std::int64_t batch_size = 32;  // B
  std::int64_t num_steps = 35;   // T
  Partition partition = Partition::random;
  std::uint64_t seed = 0;
  bool random_offset = true;  // false: every epoch starts at token 0 (e.g. for validation)
  Layout layout = Layout::batch_major;
  SegmentLengths segment_lengths = {};  // sequential only; empty: num_steps each
};

struct Batch {
  Tensor x;  // [B, T] (or [T, B]) int64
  Tensor y;  // the same shape, int64: y at (b, t) is the token after x at (b, t)
};

// Where a training run is in the data: resume with loader.resume(state).
struct LoaderState {
  std::uint64_t seed = 0;
  std::int64_t epoch = 0;
  std::int64_t batch = 0;  // the next batch to produce
  friend bool operator==(const LoaderState&, const LoaderState&) = default;
};

// The last `valid_fraction` of the stream is validation, the rest training.
struct TokenSplit {
  std::vector<std::int64_t> train;
  std::vector<std::int64_t> valid;
};
TokenSplit split_train_valid(std::span<const std::int64_t> tokens, double valid_fraction);

// The seed of one epoch's generator, derived from the loader seed and the epoch index.
std::uint64_t epoch_seed(std::uint64_t seed, std::int64_t epoch);

// The fewest tokens that give every epoch at least one batch whatever its offset:
// B * T + 1 + (T - 1) with a random offset (B * 1 + ... when segment_lengths may cut segments
// of one step).
std::int64_t min_tokens(const BatchOptions& options);

class EpochBatches;

class SequenceLoader {
 public:
  // Throws wengert::Error for batch_size or num_steps < 1, an empty stream, a stream shorter
  // than min_tokens(options), or segment_lengths with the random partitioning.
  SequenceLoader(std::vector<std::int64_t> tokens, BatchOptions options);

  std::int64_t num_tokens() const { return static_cast<std::int64_t>(tokens_.size()); }
  const BatchOptions& options() const { return options_; }
  const std::vector<std::int64_t>& tokens() const { return tokens_; }

  // Batches first_batch .. num_batches()-1 of epoch `epoch`, its draws from a generator seeded
  // with epoch_seed(seed, epoch):
  //   for (const Batch& batch : loader.epoch(e)) ...
  EpochBatches epoch(std::int64_t epoch, std::int64_t first_batch = 0) const;
  EpochBatches resume(const LoaderState& state) const;
  // An epoch whose draws are taken from `gen` (advancing it): for a caller that keeps one random
  // stream across epochs and checkpoints it. Such an epoch has no LoaderState.
  EpochBatches epoch(Generator& gen) const;

 private:
  std::vector<std::int64_t> tokens_;
  BatchOptions options_;
};

class EpochBatches {
 public:
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = const Batch*;
    using reference = const Batch&;

    Iterator() = default;
    Iterator(const EpochBatches* epoch, std::int64_t index);
    const Batch& operator*() const { return current_; }
    const Batch* operator->() const { return &current_; }
    Iterator& operator++();
    void operator++(int) { ++*this; }
    std::int64_t index() const { return index_; }  // the batch index within the epoch
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.index_ == b.index_; }

   private:
    const EpochBatches* epoch_ = nullptr;
    std::int64_t index_ = 0;
    Batch current_;
  };

  // `epoch`: the epoch's index, or -1 for an epoch drawn from a caller's generator.
  EpochBatches(const SequenceLoader& loader, Generator& gen, std::int64_t epoch,
               std::int64_t first_batch);

  Iterator begin() const { return Iterator(this, first_batch_); }
  Iterator end() const { return Iterator(nullptr, num_batches()); }
  std::int64_t size() const { return num_batches() - first_batch_; }
  std::int64_t num_batches() const { return static_cast<std::int64_t>(lengths_.size()); }
  // The time steps of batch k: num_steps, or its segment's length.
  std::int64_t length(std::int64_t k) const;

  // Any batch of the epoch by index, in [0, num_batches()).
  Batch batch(std::int64_t index) const { return batch(index, 0, loader_->options().batch_size); }
  // Streams [first, first + count) of batch `index` (B = count): one replica's share of it.
  Batch batch(std::int64_t index, std::int64_t first, std::int64_t count) const;
  // Where row b of batch `index` starts in the token stream.
  std::int64_t row_start(std::int64_t index, std::int64_t row) const;

  std::int64_t epoch() const { return epoch_; }
  std::int64_t offset() const { return offset_; }
  std::int64_t stream_length() const { return stream_length_; }  // sequential: L
  std::uint64_t seed() const { return seed_; }                   // epoch_seed(loader seed, epoch)
  // The state to save after finishing batch `index`: resuming from it yields batch index + 1.
  LoaderState state_after(std::int64_t index) const;

 private:
  const SequenceLoader* loader_;
  std::int64_t epoch_;
  std::int64_t first_batch_;
  std::uint64_t seed_ = 0;
  std::int64_t offset_ = 0;
  std::int64_t stream_length_ = 0;     // sequential: L, tokens per stream
  std::vector<std::int64_t> starts_;   // random: subsequence starts in dealing order;
                                       // sequential: each batch's first column in the streams
  std::vector<std::int64_t> lengths_;  // per batch: its number of time steps
};

}  // namespace wengert::text
