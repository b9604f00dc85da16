// Minibatches for language models: the random and sequential partitionings of d2l, driven by a
// per-epoch Generator stream so that (seed, epoch, batch) pins down every batch exactly.
#include <algorithm>
#include <cmath>
#include <wengert/tensor/error.hpp>
#include <wengert/tensor/random.hpp>
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

SequenceLoader::SequenceLoader(std::vector<std::int64_t> tokens, BatchOptions options)
    : tokens_(std::move(tokens)), options_(options) {
  const std::int64_t B = options_.batch_size, T = options_.num_steps;
  check(B >= 1, "SequenceLoader: batch_size must be >= 1, got ", B);
  check(T >= 1, "SequenceLoader: num_steps must be >= 1, got ", T);
  check(!tokens_.empty(), "SequenceLoader: the token stream is empty");
  max_offset_ = options_.random_offset ? T - 1 : 0;
  // Tokens usable as inputs (each needs a successor) after the largest offset; both
  // partitionings give floor(usable / (B * T)) batches.
  const std::int64_t usable = num_tokens() - 1 - max_offset_;
  batches_per_epoch_ = usable > 0 ? usable / T / B : 0;
  check(batches_per_epoch_ >= 1, "SequenceLoader: a stream of ", num_tokens(),
        " tokens is shorter than one minibatch of batch_size ", B, " x num_steps ", T,
        " (needs at least ", B * T + 1 + max_offset_, " tokens)");
}

EpochBatches SequenceLoader::epoch(std::int64_t epoch, std::int64_t first_batch) const {
  return EpochBatches(*this, epoch, first_batch);
}

EpochBatches SequenceLoader::resume(const LoaderState& state) const {
  check(state.seed == options_.seed, "SequenceLoader::resume: state seed ", state.seed,
        " differs from the loader seed ", options_.seed);
  return EpochBatches(*this, state.epoch, state.batch);
}

EpochBatches::EpochBatches(const SequenceLoader& loader, std::int64_t epoch,
                           std::int64_t first_batch)
    : loader_(&loader),
      epoch_(epoch),
      first_batch_(first_batch),
      seed_(epoch_seed(loader.options().seed, epoch)) {
  check(epoch >= 0, "SequenceLoader::epoch: epoch must be >= 0, got ", epoch);
  check(first_batch >= 0 && first_batch <= loader.batches_per_epoch(),
        "SequenceLoader::epoch: first batch ", first_batch, " is out of range [0, ",
        loader.batches_per_epoch(), "]");
  const BatchOptions& o = loader.options();
  Generator rng(seed_);
  offset_ = o.random_offset
                ? static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(o.num_steps)))
                : 0;
  if (o.partition == Partition::sequential) {
    stream_length_ =
        (loader.num_tokens() - 1 - (o.random_offset ? o.num_steps - 1 : 0)) / o.batch_size;
    return;
  }
  // All subsequences that fit after this epoch's offset, shuffled (Fisher-Yates); the first
  // batches_per_epoch * B of them are dealt out in order.
  const std::int64_t count = (loader.num_tokens() - 1 - offset_) / o.num_steps;
  starts_.resize(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) starts_[i] = offset_ + i * o.num_steps;
  for (std::int64_t i = count - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(i + 1)));
    std::swap(starts_[i], starts_[j]);
  }
  starts_.resize(static_cast<std::size_t>(loader.batches_per_epoch() * o.batch_size));
}

std::int64_t EpochBatches::row_start(std::int64_t index, std::int64_t row) const {
  const BatchOptions& o = loader_->options();
  check(index >= 0 && index < loader_->batches_per_epoch(), "EpochBatches::batch: index ", index,
        " is out of range [0, ", loader_->batches_per_epoch(), ")");
  check(row >= 0 && row < o.batch_size, "EpochBatches::row_start: row ", row,
        " is out of range [0, ", o.batch_size, ")");
  if (o.partition == Partition::sequential) {
    return offset_ + row * stream_length_ + index * o.num_steps;
  }
  return starts_[static_cast<std::size_t>(index * o.batch_size + row)];
}

Batch EpochBatches::batch(std::int64_t index) const {
  const std::int64_t B = loader_->options().batch_size, T = loader_->options().num_steps;
  const std::vector<std::int64_t>& tokens = loader_->tokens();
  std::vector<std::int64_t> x(static_cast<std::size_t>(B * T)), y(x.size());
  for (std::int64_t b = 0; b < B; ++b) {
    const auto first = tokens.begin() + row_start(index, b);
    std::copy(first, first + T, x.begin() + b * T);
    std::copy(first + 1, first + T + 1, y.begin() + b * T);
  }
  return {from_vector<std::int64_t>(std::move(x), {B, T}),
          from_vector<std::int64_t>(std::move(y), {B, T})};
}

LoaderState EpochBatches::state_after(std::int64_t index) const {
  const std::int64_t next = index + 1;
  if (next >= loader_->batches_per_epoch()) return {loader_->options().seed, epoch_ + 1, 0};
  return {loader_->options().seed, epoch_, next};
}

EpochBatches::Iterator::Iterator(const EpochBatches* epoch, std::int64_t index)
    : epoch_(epoch), index_(index) {
  if (epoch_ != nullptr && index_ < epoch_->loader_->batches_per_epoch()) {
    current_ = epoch_->batch(index_);
  }
}

EpochBatches::Iterator& EpochBatches::Iterator::operator++() {
  ++index_;
  if (index_ < epoch_->loader_->batches_per_epoch()) {
    current_ = epoch_->batch(index_);
  } else {
    current_ = Batch{};
  }
  return *this;
}

}  // namespace wengert::text
