// EpochPlan: the random offset, the shuffle or the segment lengths of one epoch, and the
// gathering of a batch's [T, B] input and target ids.
#include "wengert/lm/batches.hpp"

#include <utility>

#include "wengert/lm/truncation.hpp"

namespace wengert::lm {

std::int64_t min_train_tokens(const TrainConfig& config) {
  return (config.batch + 1) * config.steps;
}

EpochPlan::EpochPlan(std::span<const std::int64_t> ids, const TrainConfig& config, Generator& gen)
    : ids_(ids), partition_(config.partition), batch_(config.batch) {
  const auto n = static_cast<std::int64_t>(ids.size());
  const std::int64_t T = config.steps, B = config.batch;
  check(n >= min_train_tokens(config), "corpus too short: ", n,
        " training tokens cannot fill one batch of --batch ", B, " x --steps ", T,
        " (need at least ", min_train_tokens(config), ")");
  offset_ = static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(T)));
  if (partition_ == Partition::random) {
    const std::int64_t count = (n - offset_ - 1) / T;
    for (std::int64_t i = 0; i < count; ++i) starts_.push_back(offset_ + i * T);
    for (std::int64_t i = count - 1; i > 0; --i) {  // Fisher-Yates
      const auto j = static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(i + 1)));
      std::swap(starts_[static_cast<std::size_t>(i)], starts_[static_cast<std::size_t>(j)]);
    }
    lengths_.assign(static_cast<std::size_t>(count / B), T);
    return;
  }
  row_length_ = (n - offset_ - 1) / B;
  if (config.truncation == Truncation::random) {
    const RandomTruncation truncation(T);
    for (std::int64_t column = 0; column < row_length_;) {
      const std::int64_t length = truncation.sample(gen, row_length_ - column);
      starts_.push_back(column);
      lengths_.push_back(length);
      column += length;
    }
  } else {
    for (std::int64_t column = 0; column + T <= row_length_; column += T) {
      starts_.push_back(column);
      lengths_.push_back(T);
    }
  }
}

Batch EpochPlan::batch(std::int64_t k, std::int64_t first, std::int64_t count) const {
  check(k >= 0 && k < num_batches(), "EpochPlan::batch: batch ", k, " out of range [0, ",
        num_batches(), ")");
  check(first >= 0 && count > 0 && first + count <= batch_, "EpochPlan::batch: streams [", first,
        ", ", first + count, ") out of range [0, ", batch_, ")");
  const std::int64_t T = length(k), B = count;
  std::vector<std::int64_t> inputs(static_cast<std::size_t>(T * B));
  std::vector<std::int64_t> targets(inputs.size());
  for (std::int64_t b = 0; b < B; ++b) {
    const std::int64_t stream = first + b;
    const std::int64_t start =
        partition_ == Partition::random
            ? starts_[static_cast<std::size_t>(k * batch_ + stream)]
            : offset_ + stream * row_length_ + starts_[static_cast<std::size_t>(k)];
    for (std::int64_t t = 0; t < T; ++t) {
      inputs[static_cast<std::size_t>(t * B + b)] = ids_[static_cast<std::size_t>(start + t)];
      targets[static_cast<std::size_t>(t * B + b)] = ids_[static_cast<std::size_t>(start + t + 1)];
    }
  }
  return {from_vector(std::move(inputs), {T, B}), from_vector(std::move(targets), {T, B})};
}

}  // namespace wengert::lm
