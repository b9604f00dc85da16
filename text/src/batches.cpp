// Minibatches for language models: the random and sequential partitionings of d2l, the segment
// lengths of the sequential streams, and the gathering of a batch's ids in either layout.
#include <algorithm>
#include <cmath>
#include <wengert/tensor/error.hpp>
#include <wengert/text/batches.hpp>

namespace wengert::text {

TokenSplit split_train_valid(std::span<const std::int64_t> tokens, double valid_fraction) {
  check(valid_fraction >= 0.0 && valid_fraction < 1.0,
        "split_train_valid: valid_fraction must be in [0, 1), got ", valid_fraction);
  const auto n = static_cast<std::int64_t>(tokens.size());
  const auto n_valid =
      static_cast<std::int64_t>(std::floor(static_cast<double>(n) * valid_fraction));
  TokenSplit split;
  split.train.assign(tokens.begin(), tokens.end() - n_valid);
  split.valid.assign(tokens.end() - n_valid, tokens.end());
  return split;
}

std::uint64_t epoch_seed(std::uint64_t seed, std::int64_t epoch) {
  Generator mixer(seed ^ (0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(epoch + 1)));
  return mixer.next_u64();
}

std::int64_t min_tokens(const BatchOptions& options) {
  const std::int64_t T = options.num_steps;
  const bool any_length = options.partition == Partition::sequential && options.segment_lengths;
  // Every stream (sequential) or B subsequences (random) needs its columns plus one successor
  // token, after the largest offset.
  return options.batch_size * (any_length ? 1 : T) + 1 + (options.random_offset ? T - 1 : 0);
}

SequenceLoader::SequenceLoader(std::vector<std::int64_t> tokens, BatchOptions options)
    : tokens_(std::move(tokens)), options_(std::move(options)) {
  const std::int64_t B = options_.batch_size, T = options_.num_steps;
  check(B >= 1, "SequenceLoader: batch_size must be >= 1, got ", B);
  check(T >= 1, "SequenceLoader: num_steps must be >= 1, got ", T);
  check(!tokens_.empty(), "SequenceLoader: the token stream is empty");
  check(options_.partition == Partition::sequential || !options_.segment_lengths,
        "SequenceLoader: segment_lengths needs the sequential partitioning (random "
        "subsequences are num_steps long)");
  check(num_tokens() >= min_tokens(options_), "SequenceLoader: a stream of ", num_tokens(),
        " tokens is shorter than one minibatch of batch_size ", B, " x num_steps ", T,
        " (needs at least ", min_tokens(options_), " tokens)");
}

EpochBatches SequenceLoader::epoch(std::int64_t epoch, std::int64_t first_batch) const {
  check(epoch >= 0, "SequenceLoader::epoch: epoch must be >= 0, got ", epoch);
  Generator gen(epoch_seed(options_.seed, epoch));
  return EpochBatches(*this, gen, epoch, first_batch);
}

EpochBatches SequenceLoader::resume(const LoaderState& state) const {
  check(state.seed == options_.seed, "SequenceLoader::resume: state seed ", state.seed,
        " differs from the loader seed ", options_.seed);
  return epoch(state.epoch, state.batch);
}

EpochBatches SequenceLoader::epoch(Generator& gen) const { return EpochBatches(*this, gen, -1, 0); }

EpochBatches::EpochBatches(const SequenceLoader& loader, Generator& gen, std::int64_t epoch,
                           std::int64_t first_batch)
    : loader_(&loader), epoch_(epoch), first_batch_(first_batch) {
  const BatchOptions& o = loader.options();
  const std::int64_t B = o.batch_size, T = o.num_steps;
  if (epoch >= 0) seed_ = epoch_seed(o.seed, epoch);
  offset_ =
      o.random_offset ? static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(T))) : 0;
  // Tokens after the offset that have a successor.
  const std::int64_t usable = loader.num_tokens() - 1 - offset_;
  if (o.partition == Partition::random) {
    // All subsequences that fit after this epoch's offset, shuffled (Fisher-Yates); the first
    // (count / B) * B of them are dealt out in order.
    const std::int64_t count = usable / T;
    starts_.resize(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) starts_[static_cast<std::size_t>(i)] = offset_ + i * T;
    for (std::int64_t i = count - 1; i > 0; --i) {
      const auto j = static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(i + 1)));
      std::swap(starts_[static_cast<std::size_t>(i)], starts_[static_cast<std::size_t>(j)]);
    }
    starts_.resize(static_cast<std::size_t>(count / B * B));
    lengths_.assign(static_cast<std::size_t>(count / B), T);
  } else {
    stream_length_ = usable / B;
    for (std::int64_t column = 0; column < stream_length_;) {
      const std::int64_t left = stream_length_ - column;
      std::int64_t length = T;
      if (o.segment_lengths) {
        length = o.segment_lengths(gen, left);
        check(length >= 1 && length <= left, "SequenceLoader: segment_lengths returned ", length,
              " with ", left, " columns left (must be in [1, ", left, "])");
      } else if (length > left) {
        break;  // the columns after the last whole segment are dropped
      }
      starts_.push_back(column);
      lengths_.push_back(length);
      column += length;
    }
  }
  check(first_batch >= 0 && first_batch <= num_batches(), "SequenceLoader::epoch: first batch ",
        first_batch, " is out of range [0, ", num_batches(), "]");
}

std::int64_t EpochBatches::length(std::int64_t k) const {
  check(k >= 0 && k < num_batches(), "EpochBatches::batch: index ", k, " is out of range [0, ",
        num_batches(), ")");
  return lengths_[static_cast<std::size_t>(k)];
}

std::int64_t EpochBatches::row_start(std::int64_t index, std::int64_t row) const {
  const std::int64_t B = loader_->options().batch_size;
  length(index);  // checks the index
  check(row >= 0 && row < B, "EpochBatches::row_start: row ", row, " is out of range [0, ", B, ")");
  if (loader_->options().partition == Partition::sequential) {
    return offset_ + row * stream_length_ + starts_[static_cast<std::size_t>(index)];
  }
  return starts_[static_cast<std::size_t>(index * B + row)];
}

Batch EpochBatches::batch(std::int64_t index, std::int64_t first, std::int64_t count) const {
  const BatchOptions& o = loader_->options();
  // (count <= B - first rather than first + count <= B: the sum could overflow)
  check(first >= 0 && count > 0 && first <= o.batch_size && count <= o.batch_size - first,
        "EpochBatches::batch: ", count, " streams from ", first, " are out of range [0, ",
        o.batch_size, ")");
  const std::int64_t T = length(index), B = count;
  const bool time_major = o.layout == Layout::time_major;
  const std::vector<std::int64_t>& tokens = loader_->tokens();
  std::vector<std::int64_t> x(static_cast<std::size_t>(B * T)), y(x.size());
  for (std::int64_t b = 0; b < B; ++b) {
    const std::int64_t start = row_start(index, first + b);
    for (std::int64_t t = 0; t < T; ++t) {
      const auto at = static_cast<std::size_t>(time_major ? t * B + b : b * T + t);
      x[at] = tokens[static_cast<std::size_t>(start + t)];
      y[at] = tokens[static_cast<std::size_t>(start + t + 1)];
    }
  }
  const Shape shape = time_major ? Shape{T, B} : Shape{B, T};
  return {from_vector<std::int64_t>(std::move(x), shape),
          from_vector<std::int64_t>(std::move(y), shape)};
}

LoaderState EpochBatches::state_after(std::int64_t index) const {
  check(epoch_ >= 0,
        "EpochBatches::state_after: an epoch drawn from the caller's generator has no "
        "LoaderState (the caller saves its generator's state)");
  const std::uint64_t seed = loader_->options().seed;
  if (index + 1 >= num_batches()) return {seed, epoch_ + 1, 0};
  return {seed, epoch_, index + 1};
}

EpochBatches::Iterator::Iterator(const EpochBatches* epoch, std::int64_t index)
    : epoch_(epoch), index_(index) {
  if (epoch_ != nullptr && index_ < epoch_->num_batches()) current_ = epoch_->batch(index_);
}

EpochBatches::Iterator& EpochBatches::Iterator::operator++() {
  ++index_;
  current_ = index_ < epoch_->num_batches() ? epoch_->batch(index_) : Batch{};
  return *this;
}

}  // namespace wengert::text
