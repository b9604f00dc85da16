// The minibatches of one epoch over a token stream (d2l 9.3.3, time-major for nn::Recurrent).
// An EpochPlan is drawn from a Generator at the start of an epoch (random offset, and the
// shuffle or the random segment lengths), so an epoch is rebuilt exactly from the generator's
// state at its start: that is how a resumed run finds its place in the data.
//   random:     subsequences ids[o + k*T, o + (k+1)*T) for a random o in [0, T), shuffled, B per
//   batch; sequential: ids[o, o + B*L) as B rows of L tokens each; batch k is columns [s_k, s_k +
//   len_k)
//               of every row, so row b of batch k+1 continues row b of batch k.
#pragma once

#include <cstdint>
#include <span>
#include <vector>
#include <wengert/tensor.hpp>

#include "config.hpp"

namespace wengert::lm {

struct Batch {
  Tensor inputs;   // i64 [T, B]
  Tensor targets;  // i64 [T, B]: the next token of each input
};

class EpochPlan {
 public:
  // Throws when `ids` cannot fill one batch (see min_train_tokens). `ids` must outlive the plan.
  EpochPlan(std::span<const std::int64_t> ids, const TrainConfig& config, Generator& gen);

  std::int64_t num_batches() const { return static_cast<std::int64_t>(lengths_.size()); }
  std::int64_t length(std::int64_t k) const { return lengths_.at(static_cast<std::size_t>(k)); }
  Batch batch(std::int64_t k) const { return batch(k, 0, batch_); }
  // Streams [first, first + count) of batch k (i64 [T, count]): one replica's share of it.
  Batch batch(std::int64_t k, std::int64_t first, std::int64_t count) const;
  std::int64_t batch_size() const { return batch_; }

 private:
  std::span<const std::int64_t> ids_;
  Partition partition_;
  std::int64_t batch_;
  std::int64_t offset_ = 0;
  std::int64_t row_length_ = 0;        // sequential: L
  std::vector<std::int64_t> starts_;   // random: subsequence starts; sequential: segment columns
  std::vector<std::int64_t> lengths_;  // per batch: its number of time steps
};

// (B + 1) * T: the fewest tokens that give at least one batch whatever the random offset.
std::int64_t min_train_tokens(const TrainConfig& config);

}  // namespace wengert::lm
