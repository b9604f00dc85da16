// The training loop: one batch (forward from the carried or a fresh state, loss, backward,
// clip, step), one epoch (its batches drawn by text::SequenceLoader, validation), and the
// evaluation pass (the same loader, its windows read in order).
// Truncation none keeps the graph of the whole stream: the losses of an epoch are summed and
// one backward, one clip and one step run at its end (its mean loss over every token).
#include "wengert/lm/trainer.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <wengert/nn/clip.hpp>

#include "detail/files.hpp"
#include "wengert/lm/truncation.hpp"

namespace wengert::lm {

namespace {

constexpr std::uint64_t data_stream = 0xda7a5eedda7a5eedULL;
constexpr std::uint64_t dropout_stream = 0xd209d209d209d209ULL;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::unique_ptr<nn::Optimizer> make_optimizer(const TrainConfig& config, std::vector<Var> params) {
  if (config.optimizer == OptimizerKind::adam) {
    nn::AdamOptions options;
    options.lr = config.lr;
    return std::make_unique<nn::Adam>(std::move(params), options);
  }
  nn::SGDOptions options;
  options.lr = config.lr;
  return std::make_unique<nn::SGD>(std::move(params), options);
}

// Sum of the NLL of `logits` [T, B, V] against `targets` i64 [T, B].
Var summed_nll(const Var& logits, const Tensor& targets) {
  const std::int64_t n = logits.size(0) * logits.size(1);
  LossOptions options;
  options.reduction = Reduction::sum;
  return cross_entropy(reshape(logits, {n, logits.size(2)}), targets.reshape({n}), options);
}

// The training ids cut as `config` asks: time-major [T, B] batches, a random offset, and for
// randomized truncation the segment lengths of RandomTruncation. The loader's own seed is unused:
// the trainer draws each epoch from data_rng_, whose state its checkpoint holds.
text::SequenceLoader training_batches(const TrainConfig& config, std::vector<std::int64_t> ids) {
  config.validate();
  text::BatchOptions options{
      config.batch, config.steps, config.partition, 0, true, text::Layout::time_major, {}};
  if (config.truncation == Truncation::random) {
    options.segment_lengths = [truncation = RandomTruncation(config.steps)](Generator& gen,
                                                                            std::int64_t left) {
      return truncation.sample(gen, left);
    };
  }
  const auto n = static_cast<std::int64_t>(ids.size());
  check(n >= text::min_tokens(options), "corpus too short: ", n,
        " training tokens cannot fill one batch of --batch ", config.batch, " x --steps ",
        config.steps, " (need at least ", text::min_tokens(options), ")");
  return text::SequenceLoader(std::move(ids), std::move(options));
}

}  // namespace

double Evaluation::mean_nll() const {
  return tokens > 0 ? nll_sum / static_cast<double>(tokens)
                    : std::numeric_limits<double>::quiet_NaN();
}
double Evaluation::perplexity() const { return std::exp(mean_nll()); }

std::int64_t evaluation_streams(std::int64_t n, std::int64_t batch, std::int64_t steps) {
  return std::max<std::int64_t>(1, std::min(batch, (n - 1) / steps));
}

std::string describe_streams(std::int64_t streams) {
  return streams == 1 ? std::string("one stream carried through the whole text")
                      : std::to_string(streams) + " parallel streams, each from a zero state";
}

Evaluation evaluate(LanguageModel& model, std::span<const std::int64_t> ids, std::int64_t batch,
                    std::int64_t steps, StreamShare share) {
  const auto n = static_cast<std::int64_t>(ids.size());
  check(n >= 2, "evaluate: need at least 2 tokens, got ", n);
  check(batch > 0 && steps > 0, "evaluate: batch and steps must be positive");
  check(share.parts > 0 && share.part >= 0 && share.part < share.parts, "evaluate: part ",
        share.part, " of ", share.parts, " does not exist");
  const std::int64_t all_rows = evaluation_streams(n, batch, steps);
  const std::int64_t first_row = all_rows * share.part / share.parts;
  const std::int64_t rows = all_rows * (share.part + 1) / share.parts - first_row;
  if (rows == 0) return {};
  // One epoch of the sequential loader without offset: stream r is ids[r L, (r + 1) L) with
  // L = (n - 1) / all_rows, read in windows of `steps` and a shorter last one, so every token
  // of the streams is predicted.
  const text::SequenceLoader loader(
      {ids.begin(), ids.end()},
      {all_rows, steps, Partition::sequential, 0, false, text::Layout::time_major,
       [steps](Generator&, std::int64_t left) { return std::min(steps, left); }});
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  Generator unused(0);
  const text::EpochBatches windows = loader.epoch(unused);
  nn::RecurrentState state;
  Evaluation result;
  for (std::int64_t k = 0; k < windows.num_batches(); ++k) {
    const text::Batch window = windows.batch(k, first_row, rows);
    auto out = model.forward(window.x, state, unused);
    result.nll_sum += summed_nll(out.logits, window.y).item();
    result.tokens += window.x.numel();
    state = std::move(out.state);
  }
  model.train(was_training);
  return result;
}

Trainer::Trainer(const ModelConfig& model, const TrainConfig& train,
                 std::vector<std::int64_t> train_ids, std::vector<std::int64_t> val_ids,
                 Replicas& replicas)
    : train_(train),
      replicas_(replicas),
      train_batches_(training_batches(train, std::move(train_ids))),
      val_ids_(std::move(val_ids)),
      init_rng_(train.seed),
      data_rng_(train.seed ^ data_stream),
      dropout_rng_(train.seed ^ dropout_stream) {
  const int replicas_n = replicas_.size();
  check(train_.batch % replicas_n == 0, "--batch ", train_.batch, " does not divide among ",
        replicas_n, " processes (mpirun -np ", replicas_n,
        "): each takes an equal share of every minibatch's streams");
  local_batch_ = train_.batch / replicas_n;
  first_stream_ = replicas_.rank() * local_batch_;
  for (const std::span<const std::int64_t> ids : {this->train_ids(), this->val_ids()}) {
    for (std::int64_t id : ids) {
      check(id >= 0 && id < model.vocab_size, "Trainer: token id ", id,
            " is outside the vocabulary [0, ", model.vocab_size, ")");
    }
  }
  model_ = std::make_unique<LanguageModel>(model, init_rng_);
  replicas_.broadcast_from_root(model_->parameters());
  averager_ = replicas_.gradient_averager(model_->parameters());
  optimizer_ = make_optimizer(train_, model_->parameters());
  optimizer_->zero_grad();
  position_.data_rng_at_epoch_start = data_rng_.state();
  position_.dropout_rng_at_epoch_start = dropout_rng_.state();
}

double Trainer::seconds_communicating() const {
  return replicas_.seconds_communicating() + averager_->seconds_waiting();
}

bool Trainer::stop_requested() const {
  return stop_requested_ || (external_stop_ != nullptr && external_stop_->load());
}

FitResult Trainer::fit() {
  while (position_.epoch < train_.epochs) {
    if (!run_epoch()) return FitResult::stopped;
  }
  return FitResult::finished;
}

std::optional<EpochStats> Trainer::run_epoch() {
  if (position_.batch == 0) {
    position_.data_rng_at_epoch_start = data_rng_.state();
    position_.dropout_rng_at_epoch_start = dropout_rng_.state();
    state_ = {};
    pending_loss_ = Var();
  }
  data_rng_.set_state(position_.data_rng_at_epoch_start);  // a resumed epoch draws it again
  const text::EpochBatches batches = train_batches_.epoch(data_rng_);
  model_->train();
  const auto start = std::chrono::steady_clock::now();
  const double comm_at_start = seconds_communicating();
  const auto comm_seconds = [&] {
    return position_.comm_seconds + seconds_communicating() - comm_at_start;
  };
  const std::int64_t window = train_.accumulate;
  for (std::int64_t k = position_.batch; k < batches.num_batches(); ++k) {
    // A stop falls between two updates (a checkpoint holds no half-accumulated gradient), and
    // every replica stops at the same batch when any of them was asked to.
    if (k % window == 0 && replicas_.any(stop_requested())) {
      position_.comm_seconds = comm_seconds();
      position_.seconds += seconds_since(start);
      // Stopped before the first batch: the epoch has not begun, it is drawn again.
      if (position_.batch == 0) data_rng_.set_state(position_.data_rng_at_epoch_start);
      return std::nullopt;
    }
    if (k % window == 0) window_batches_ = 0;
    const bool last_of_window = (k + 1) % window == 0 || k + 1 == batches.num_batches();
    Step step = train_batch(batches, k, last_of_window);
    if (last_of_window && window_batches_ > 0) step.grad_norm = update(k);
    position_.batch = k + 1;
    position_.nll_sum += step.nll_sum;
    position_.tokens += step.tokens;
    position_.carried_batches += step.carried ? 1 : 0;
    if (on_batch) {
      on_batch({position_.epoch + 1, k, batches.num_batches(), step.tokens,
                step.nll_sum / static_cast<double>(step.tokens), step.grad_norm, step.carried,
                position_.seconds + seconds_since(start), comm_seconds()});
    }
  }
  if (train_.truncation == Truncation::none && pending_loss_.defined()) {
    // One backward through the whole stream: the mean NLL over every token of the epoch
    // (position_.tokens counts every replica's; see train_batch for the factor N).
    (pending_loss_ *
     (static_cast<double>(replicas_.size()) / static_cast<double>(position_.tokens)))
        .backward();
    pending_loss_ = Var();
    state_ = {};
    update(position_.batch - 1);
  }
  return finish_epoch(position_.seconds + seconds_since(start), comm_seconds());
}

Trainer::Step Trainer::train_batch(const text::EpochBatches& batches, std::int64_t k,
                                   bool last_of_window) {
  const text::Batch batch = batches.batch(k, first_stream_, local_batch_);  // [T, B / N]
  const std::int64_t T = batch.x.size(0), B = train_.batch;  // B: every replica's streams
  // Random partitioning: every batch starts from zeros. Sequential: from the previous batch's
  // final state, already detached unless truncation is none (then the graph goes on).
  const nn::RecurrentState start =
      train_.partition == Partition::sequential ? state_ : nn::RecurrentState{};
  StepReweighting reweighting;
  const StepReweighting* reweight = nullptr;
  if (train_.truncation == Truncation::random && train_.unbiased) {
    const RandomTruncation truncation(train_.steps);
    reweighting = {truncation.min_length, truncation.crossing_weight()};
    reweight = &reweighting;
  }
  // Several replicas draw their dropout masks from generators of their own, seeded per batch
  // from the shared one, so that no two replicas share a mask and a checkpoint needs only the
  // shared generator's state.
  Generator* dropout_gen = &dropout_rng_;
  Generator replica_dropout(0);
  if (replicas_.size() > 1 && model_->config().dropout > 0) {
    replica_dropout =
        Generator(dropout_rng_.next_u64() ^
                  (0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(replicas_.rank() + 1)));
    dropout_gen = &replica_dropout;
  }
  auto out = model_->forward(batch.x, start, *dropout_gen, reweight);
  const Var nll = summed_nll(out.logits, batch.y);
  // The whole minibatch's loss, on every replica (so that all take the same decisions).
  const Step step{replicas_.sum(nll.item()), T * B, std::numeric_limits<double>::quiet_NaN(),
                  !start.empty()};
  if (!std::isfinite(step.nll_sum)) return skip_nonfinite(k, "loss", step.nll_sum, step);
  if (train_.truncation == Truncation::none) {
    pending_loss_ = pending_loss_.defined() ? pending_loss_ + nll : nll;
    state_ = std::move(out.state);
    return step;
  }
  // fixed: the batch mean. random: sum / (T * B) with the nominal T, so that every token weighs
  // the same whatever the length of its segment (see truncation.hpp). Each of the N replicas
  // scales its partial sum by N / (T * B): the average over replicas that update() takes is the
  // mean over the whole minibatch. With accumulation each batch weighs 1 / K of the update.
  const double denominator =
      static_cast<double>((train_.truncation == Truncation::random ? train_.steps : T) * B) *
      static_cast<double>(train_.accumulate);
  averager_->set_communicate(last_of_window);
  (nll * (static_cast<double>(replicas_.size()) / denominator)).backward();
  ++window_batches_;
  if (train_.partition == Partition::sequential) state_ = out.state.detach();
  return step;
}

double Trainer::update(std::int64_t k) {
  averager_->finish();  // every replica now holds the same gradient, the minibatch's
  // A window with fewer batches than K (the epoch's end, or skipped batches): the mean over the
  // batches it had.
  if (window_batches_ > 0 && window_batches_ < train_.accumulate) {
    const double factor =
        static_cast<double>(train_.accumulate) / static_cast<double>(window_batches_);
    for (const Var& p : optimizer_->params()) {
      if (p.grad().defined()) p.mutable_grad().mul_(factor);
    }
  }
  window_batches_ = 0;
  const double max_norm = train_.clip > 0 ? train_.clip : std::numeric_limits<double>::infinity();
  const double norm = nn::clip_grad_norm(optimizer_->params(), max_norm);
  if (std::isfinite(norm)) optimizer_->step();
  optimizer_->zero_grad();
  if (!std::isfinite(norm)) skip_nonfinite(k, "gradient norm", norm, Step{});
  return norm;
}

Trainer::Step Trainer::skip_nonfinite(std::int64_t k, const char* what, double value, Step step) {
  check(train_.on_nonfinite == NonFinite::skip_batch, "training diverged: the ", what, " is ",
        std::isnan(value) ? "nan"
        : value > 0       ? "inf"
                          : "-inf",
        " in epoch ", position_.epoch + 1, ", batch ", k + 1,
        "; the last checkpoint is kept (try a lower --lr, --clip, or --on-nonfinite skip-batch)");
  // Skipped: no contribution to the update or to the epoch's loss, and a fresh state for what
  // follows (the gradients of earlier batches of an accumulation window are kept).
  state_ = {};
  pending_loss_ = Var();
  step.nll_sum = 0;
  step.tokens = 0;
  return step;
}

EpochStats Trainer::finish_epoch(double seconds, double comm_seconds) {
  EpochStats stats;
  stats.epoch = position_.epoch + 1;
  stats.tokens = position_.tokens;
  stats.batches = position_.batch;
  stats.carried_batches = position_.carried_batches;
  stats.train_loss = stats.tokens > 0  // (0 when --on-nonfinite skip-batch skipped every batch)
                         ? position_.nll_sum / static_cast<double>(stats.tokens)
                         : std::numeric_limits<double>::quiet_NaN();
  stats.train_ppl = std::exp(stats.train_loss);
  stats.val_loss = stats.val_ppl = std::numeric_limits<double>::quiet_NaN();
  if (val_ids_.size() >= 2) {  // each replica its share of the streams
    Evaluation val = evaluate(*model_, val_ids_, train_.validation_streams(), train_.steps,
                              {replicas_.rank(), replicas_.size()});
    val.nll_sum = replicas_.sum(val.nll_sum);
    val.tokens = static_cast<std::int64_t>(replicas_.sum(static_cast<double>(val.tokens)));
    stats.val_loss = val.mean_nll();
    stats.val_ppl = val.perplexity();
  }
  // The replicas' mean, so that every replica takes the same --time-limit decision.
  const auto replicas_n = static_cast<double>(replicas_.size());
  seconds = replicas_.sum(seconds) / replicas_n;
  stats.comm_seconds = replicas_.sum(comm_seconds) / replicas_n;
  stats.seconds = seconds;
  stats.tokens_per_s = seconds > 0 ? static_cast<double>(stats.tokens) / seconds : 0;
  stats.lr = optimizer_->lr();
  // An update can overflow weights to inf even from a finite gradient: never save those.
  for (const Var& p : model_->parameters()) {
    check(detail::all_finite(p.value()),
          "training diverged: non-finite weights at the end of epoch ", stats.epoch,
          "; the last checkpoint is kept (try a lower --lr)");
  }
  position_ = Position{};
  position_.epoch = stats.epoch;
  position_.data_rng_at_epoch_start = data_rng_.state();
  position_.dropout_rng_at_epoch_start = dropout_rng_.state();
  history_.push_back(stats);
  if (on_epoch) on_epoch(stats);
  return stats;
}

}  // namespace wengert::lm
