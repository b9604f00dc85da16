// Language-model minibatches over a token stream, the two partitionings of "Dive into Deep
// Learning" (seq_data_iter_random / seq_data_iter_sequential). Each batch is (X, Y), int64
// tensors of shape (B, T) with Y = X shifted by one token.
//  - random: a random offset in [0, T), then the subsequences of T tokens dealt out in a
//    random order, so adjacent minibatches are not adjacent in the text;
//  - sequential: a random offset, then batch_size parallel streams; row b of minibatch k+1
//    continues row b of minibatch k (for carrying the hidden state across batches).
// Everything in an epoch is a function of (seed, epoch index), so the data position is just
// LoaderState {seed, epoch, batch}: save it, and loader.epoch(epoch, batch) resumes exactly.
#pragma once

#include <cstdint>
#include <iterator>
#include <span>
#include <vector>
#include <wengert/tensor/tensor.hpp>

namespace wengert::text {

enum class Partition { random, sequential };

struct BatchOptions {
  std::int64_t batch_size = 32;  // B
  std::int64_t num_steps = 35;   // T
  Partition partition = Partition::random;
  std::uint64_t seed = 0;
  bool random_offset = true;  // false: every epoch starts at token 0 (e.g. for validation)
};

struct Batch {
  Tensor x;  // (B, T) int64
  Tensor y;  // (B, T) int64, y[b][t] is the token after x[b][t]
};

// Where a training run is in the data: resume with loader.epoch(state.epoch, state.batch).
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

class EpochBatches;

class SequenceLoader {
 public:
  // Throws wengert::Error for batch_size or num_steps < 1, an empty stream, or a stream too
  // short for one minibatch.
  SequenceLoader(std::vector<std::int64_t> tokens, BatchOptions options);

  // The same for every epoch (the random offset only drops tokens at the end).
  std::int64_t batches_per_epoch() const { return batches_per_epoch_; }
  std::int64_t num_tokens() const { return static_cast<std::int64_t>(tokens_.size()); }
  const BatchOptions& options() const { return options_; }
  const std::vector<std::int64_t>& tokens() const { return tokens_; }

  // Batches first_batch .. batches_per_epoch()-1 of epoch `epoch`:
  //   for (const Batch& batch : loader.epoch(e)) ...
  EpochBatches epoch(std::int64_t epoch, std::int64_t first_batch = 0) const;
  EpochBatches resume(const LoaderState& state) const;

 private:
  std::vector<std::int64_t> tokens_;
  BatchOptions options_;
  std::int64_t max_offset_ = 0;
  std::int64_t batches_per_epoch_ = 0;
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

  EpochBatches(const SequenceLoader& loader, std::int64_t epoch, std::int64_t first_batch);

  Iterator begin() const { return Iterator(this, first_batch_); }
  Iterator end() const { return Iterator(nullptr, loader_->batches_per_epoch()); }
  std::int64_t size() const { return loader_->batches_per_epoch() - first_batch_; }

  // Any batch of the epoch by index, in [0, batches_per_epoch()).
  Batch batch(std::int64_t index) const;
  // Where row b of batch `index` starts in the token stream.
  std::int64_t row_start(std::int64_t index, std::int64_t row) const;

  std::int64_t epoch() const { return epoch_; }
  std::int64_t offset() const { return offset_; }
  std::uint64_t seed() const { return seed_; }  // epoch_seed(loader seed, epoch)
  // The state to save after finishing batch `index`: resuming from it yields batch index + 1.
  LoaderState state_after(std::int64_t index) const;

 private:
  const SequenceLoader* loader_;
  std::int64_t epoch_;
  std::int64_t first_batch_;
  std::uint64_t seed_;
  std::int64_t offset_ = 0;
  std::int64_t stream_length_ = 0;    // sequential: tokens per row stream
  std::vector<std::int64_t> starts_;  // random: subsequence starts in dealing order
};

}  // namespace wengert::text
