// Trainer: the training loop of a LanguageModel over a token stream. Each batch: forward from
// the carried state (sequential) or from zeros (random partitioning), cross-entropy, backward,
// gradient-norm clipping, an optimizer step; each epoch ends with train and validation
// perplexity and the on_epoch callback. Everything the loop depends on (parameters, optimizer
// state, RNG states, the place in the data, the carried state) goes into a checkpoint, so a
// resumed run continues bit for bit (same thread count). Usage:
//   Trainer trainer(model_config, train_config, train_ids, val_ids);
//   trainer.on_epoch = [](const EpochStats& s) { std::cout << s.val_ppl << '\n'; };
//   trainer.fit();                       // or run_epoch() one at a time
//   trainer.save_checkpoint("run/checkpoint");
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>
#include <wengert/nn/optim.hpp>
#include <wengert/text/batches.hpp>

#include "config.hpp"
#include "model.hpp"
#include "replicas.hpp"

namespace wengert::lm {

struct BatchStats {
  std::int64_t epoch;        // 1-based
  std::int64_t batch;        // 0-based within the epoch
  std::int64_t num_batches;  // in this epoch
  std::int64_t tokens;       // predicted tokens in this batch (T * B)
  double loss;               // mean NLL per token of this batch
  double grad_norm;          // before clipping (NaN when no update followed this batch)
  bool carried_state;        // the batch started from the previous batch's (detached) state
  double seconds;            // since the epoch started (this session)
  double comm_seconds;       // of those, spent waiting for the other replicas (0 alone)
};

struct EpochStats {
  std::int64_t epoch = 0;  // 1-based
  double train_loss = 0, train_ppl = 0;
  double val_loss = 0, val_ppl = 0;  // NaN without validation data (TrainConfig::val_streams)
  double seconds = 0, tokens_per_s = 0, lr = 0;
  // Seconds spent waiting for the other replicas (gradient allreduce not hidden behind the
  // sweep, loss sums, stop flags, validation sums), mean over the replicas; 0 in one process.
  double comm_seconds = 0;
  std::int64_t tokens = 0, batches = 0, carried_batches = 0;
};

// Sum of NLL (nats) and number of predicted tokens.
struct Evaluation {
  double nll_sum = 0;
  std::int64_t tokens = 0;
  double mean_nll() const;
  double perplexity() const;
};

// The number of parallel streams evaluate() reads n ids as: min(batch, (n-1)/steps), at least 1.
std::int64_t evaluation_streams(std::int64_t n, std::int64_t batch, std::int64_t steps);
// "one stream carried through the whole text" or "N parallel streams, each from a zero state".
std::string describe_streams(std::int64_t streams);
// Which of the streams one replica evaluates: part p of n takes rows [R p / n, R (p + 1) / n) of
// the R streams (none when R < n and it has no row); the parts' sums add up to the whole.
struct StreamShare {
  std::int64_t part = 0, parts = 1;
};
// The model's NLL on `ids` read as evaluation_streams() parallel streams (contiguous rows, each
// from a zero state) in windows of `steps`, the state carried across windows; eval mode, no
// graph. batch 1: one stream carried through the whole text. Needs at least 2 ids.
Evaluation evaluate(LanguageModel& model, std::span<const std::int64_t> ids, std::int64_t batch,
                    std::int64_t steps, StreamShare share = {});

enum class FitResult { finished, stopped };

// Completes a checkpoint swap that a kill interrupted: when `dir` is not a complete checkpoint
// but `dir.tmp` (newer) or `dir.old` is, renames that one to `dir`. Returns whether `dir` now
// holds a complete checkpoint (false: the run never saved one).
bool recover_checkpoint(const std::filesystem::path& dir);

// Data parallelism: constructed with world_replicas() under `mpirun -np N` (every process the
// same arguments), each replica trains on streams [r B/N, (r+1) B/N) of every minibatch (B must
// divide by N), carries their state, and its gradients are averaged with the others' during the
// backward sweep, so that every replica takes the step one process takes on the whole minibatch.
// Losses, validation (split by streams) and stop requests are summed over the replicas, so every
// replica reports and decides the same. The checkpoint is N's-independent (the carried state of
// all B streams; rank 0 writes it): a run resumes with any N that divides B. fit(), run_epoch(),
// save_checkpoint() and load_checkpoint() are collective: every replica calls them.
class Trainer {
 public:
  // Builds the model (initialised from train.seed, then rank 0's weights everywhere) and the
  // optimizer. The id vectors are copied. Throws when the training ids cannot fill one batch, or
  // the batch does not divide among the replicas.
  Trainer(const ModelConfig& model, const TrainConfig& train, std::vector<std::int64_t> train_ids,
          std::vector<std::int64_t> val_ids, Replicas& replicas = one_process());

  std::function<void(const BatchStats&)> on_batch;
  std::function<void(const EpochStats&)> on_epoch;

  // Runs epochs until config().epochs are done or a stop is requested (then returns `stopped`
  // between two updates, i.e. batches without --accumulate; any replica's request stops all of
  // them at the same batch; save_checkpoint() then records the exact place).
  FitResult fit();
  // Runs (the rest of) one epoch; nullopt if stopped before its end.
  std::optional<EpochStats> run_epoch();

  // A stop flag checked between batches: request_stop(), or an external flag (a signal handler's).
  void request_stop() { stop_requested_ = true; }
  void set_stop_flag(const std::atomic<bool>* flag) { external_stop_ = flag; }
  bool stop_requested() const;

  // model.safetensors, optimizer.safetensors, state.safetensors (carried state) and
  // trainer.json into `dir` (created). Written completely into the sibling `dir.tmp`, then
  // swapped in: `dir` -> `dir.old`, `dir.tmp` -> `dir`, remove `dir.old`. A kill at any moment
  // leaves a complete checkpoint under one of the three names (see recover_checkpoint).
  void save_checkpoint(const std::filesystem::path& dir) const;
  // All-or-nothing: throws (naming the file) on a missing file, a mismatch with this model, or
  // weights, optimizer state or carried state holding NaN or Inf (unless `nonfinite` allows
  // them). Recovers an interrupted swap first.
  void load_checkpoint(const std::filesystem::path& dir,
                       NonFiniteValues nonfinite = NonFiniteValues::refuse);

  LanguageModel& model() { return *model_; }
  const LanguageModel& model() const { return *model_; }
  nn::Optimizer& optimizer() { return *optimizer_; }
  const TrainConfig& config() const { return train_; }
  Replicas& replicas() const { return replicas_; }
  void set_epochs(std::int64_t epochs) { train_.epochs = epochs; }
  std::int64_t epochs_done() const { return position_.epoch; }
  std::int64_t batch_in_epoch() const { return position_.batch; }
  const std::vector<EpochStats>& history() const { return history_; }
  std::span<const std::int64_t> train_ids() const { return train_batches_.tokens(); }
  std::span<const std::int64_t> val_ids() const { return val_ids_; }

  // Where the run stands inside an epoch; saved in trainer.json.
  struct Position {
    std::int64_t epoch = 0;  // completed epochs
    std::int64_t batch = 0;  // next batch of the current epoch
    std::array<std::uint64_t, 4> data_rng_at_epoch_start{};
    std::array<std::uint64_t, 4> dropout_rng_at_epoch_start{};
    double nll_sum = 0;  // this epoch so far
    std::int64_t tokens = 0, carried_batches = 0;
    double seconds = 0;       // time spent in this epoch by earlier sessions
    double comm_seconds = 0;  // of which waiting for the other replicas
  };

 private:
  struct Step {  // one batch's result
    double nll_sum;
    std::int64_t tokens;
    double grad_norm;
    bool carried;
  };
  // Forward and backward of this replica's share of batch k; `last_of_window`: the last batch
  // of an accumulation window (its sweep communicates the gradients).
  Step train_batch(const text::EpochBatches& batches, std::int64_t k, bool last_of_window);
  // Averages the gradients over the replicas, then clip, step, zero grads; returns the norm
  // before clipping. `k`: the batch, for errors.
  double update(std::int64_t k);
  double seconds_communicating() const;  // so far, this replica
  // A non-finite loss or gradient norm in batch k: throws (NonFinite::stop) or returns `step`
  // emptied, with the update skipped and the state reset (NonFinite::skip_batch).
  Step skip_nonfinite(std::int64_t k, const char* what, double value, Step step);
  EpochStats finish_epoch(double seconds, double comm_seconds);

  TrainConfig train_;
  Replicas& replicas_;
  std::int64_t first_stream_ = 0, local_batch_ = 0;  // this replica's streams of each batch
  // The training ids as time-major batches; each epoch's draws come from data_rng_.
  text::SequenceLoader train_batches_;
  std::vector<std::int64_t> val_ids_;
  Generator init_rng_, data_rng_, dropout_rng_;
  std::unique_ptr<LanguageModel> model_;
  std::unique_ptr<nn::Optimizer> optimizer_;
  std::unique_ptr<GradientAverager> averager_;
  std::int64_t window_batches_ = 0;  // batches with a backward in the current window
  Position position_;
  nn::RecurrentState state_;  // carried between batches (sequential partitioning)
  Var pending_loss_;          // truncation none: the epoch's summed loss, backward at its end
  std::vector<EpochStats> history_;
  bool stop_requested_ = false;
  const std::atomic<bool>* external_stop_ = nullptr;
};

}  // namespace wengert::lm
