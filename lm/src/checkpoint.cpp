// Trainer checkpoints: a folder holding model.safetensors + model.optim.safetensors (nn's paired
// checkpoint), state.safetensors (the carried recurrent state, "h.<layer>" / "c.<layer>") and
// trainer.json (epoch, batch, RNG states, the epoch's running sums, the history). The folder is
// written next to its final place and swapped in, so a crash leaves the old or the new one.
#include <cmath>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <wengert/nn/checkpoint.hpp>
#include <wengert/tensor/atomic_file.hpp>

#include "detail/files.hpp"
#include "wengert/lm/trainer.hpp"

namespace wengert::lm {

namespace fs = std::filesystem;

namespace {

nlohmann::json number(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); }
double number(const nlohmann::json& j) {
  return j.is_number() ? j.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

nlohmann::json to_json(const EpochStats& s) {
  return {{"epoch", s.epoch},
          {"train_loss", number(s.train_loss)},
          {"train_ppl", number(s.train_ppl)},
          {"val_loss", number(s.val_loss)},
          {"val_ppl", number(s.val_ppl)},
          {"seconds", number(s.seconds)},
          {"tokens_per_s", number(s.tokens_per_s)},
          {"comm_seconds", number(s.comm_seconds)},
          {"lr", number(s.lr)},
          {"tokens", s.tokens},
          {"batches", s.batches},
          {"carried_batches", s.carried_batches}};
}
EpochStats epoch_stats(const nlohmann::json& j) {
  EpochStats s;
  s.epoch = j.at("epoch").get<std::int64_t>();
  s.train_loss = number(j.at("train_loss"));
  s.train_ppl = number(j.at("train_ppl"));
  s.val_loss = number(j.at("val_loss"));
  s.val_ppl = number(j.at("val_ppl"));
  s.seconds = number(j.at("seconds"));
  s.tokens_per_s = number(j.at("tokens_per_s"));
  s.comm_seconds = j.contains("comm_seconds") ? number(j.at("comm_seconds")) : 0.0;
  s.lr = number(j.at("lr"));
  s.tokens = j.at("tokens").get<std::int64_t>();
  s.batches = j.at("batches").get<std::int64_t>();
  s.carried_batches = j.at("carried_batches").get<std::int64_t>();
  return s;
}

fs::path sibling(const fs::path& dir, const char* suffix) {
  fs::path p = dir;
  p += suffix;
  return p;
}

constexpr const char* kCheckpointFiles[] = {"model.safetensors", "state.safetensors",
                                            "trainer.json"};

// Every file is written atomically, so a folder holding all of them is a complete checkpoint.
bool complete(const fs::path& dir) {
  for (const char* name : kCheckpointFiles)
    if (!fs::exists(dir / name)) return false;
  return true;
}

// Every field of trainer.json read back is checked against what a run can produce.
void validate_position(const Trainer::Position& at, const std::vector<EpochStats>& history,
                       std::initializer_list<std::array<std::uint64_t, 4>> generators) {
  check(at.epoch >= 0 && at.batch >= 0 && at.tokens >= 0 && at.carried_batches >= 0,
        "negative epoch, batch or count");
  check(std::ssize(history) == at.epoch, "epoch ", at.epoch, " but a history of ", history.size(),
        " epochs");
  for (std::size_t i = 0; i < history.size(); ++i) {
    check(history[i].epoch == static_cast<std::int64_t>(i) + 1, "history entry ", i, " is epoch ",
          history[i].epoch);
  }
  check(std::isfinite(at.nll_sum) && std::isfinite(at.seconds) && std::isfinite(at.comm_seconds),
        "non-finite running sums");
  for (const auto& state : generators) {  // xoshiro256 never leaves the all-zero state
    check(state != std::array<std::uint64_t, 4>{}, "an all-zero random generator state");
  }
  check(at.data_rng_at_epoch_start != std::array<std::uint64_t, 4>{} &&
            at.dropout_rng_at_epoch_start != std::array<std::uint64_t, 4>{},
        "an all-zero random generator state");
}

}  // namespace

bool recover_checkpoint(const fs::path& dir) {
  if (!complete(dir)) {
    for (const char* suffix : {".tmp", ".old"}) {  // .tmp, when complete, is the newer one
      const fs::path candidate = sibling(dir, suffix);
      if (complete(candidate)) {
        fs::remove_all(dir);
        fs::rename(candidate, dir);
        sync_directory(dir.parent_path());
        break;
      }
    }
  }
  if (!complete(dir)) return false;
  // What is left of an interrupted swap is older than `dir` or as good (training is
  // deterministic: resuming from either ends the same).
  fs::remove_all(sibling(dir, ".tmp"));
  fs::remove_all(sibling(dir, ".old"));
  return true;
}

void Trainer::save_checkpoint(const fs::path& dir) const {
  // Truncation none cannot stop inside an epoch (its graph spans the epoch): the parameters and
  // the optimizer have not moved since the epoch began, so save the epoch's start instead.
  Position at = position_;
  std::array<std::uint64_t, 4> data_rng = data_rng_.state(), dropout_rng = dropout_rng_.state();
  nn::NamedTensors carried;
  if (train_.truncation == Truncation::none && at.batch > 0) {
    data_rng = at.data_rng_at_epoch_start;
    dropout_rng = at.dropout_rng_at_epoch_start;
    const std::int64_t epoch = at.epoch;
    at = Position{};
    at.epoch = epoch;
    at.data_rng_at_epoch_start = data_rng;
    at.dropout_rng_at_epoch_start = dropout_rng;
  } else if (at.batch > 0) {
    // One tensor per layer on disk (the file format predates the [L, B, H] state), holding all B
    // streams whatever the number of replicas: each holds the rows of its own streams and zeros
    // elsewhere, and the sum over replicas gathers them (x + 0 = x).
    const auto all_streams = [&](const Tensor& mine) {
      if (replicas_.size() == 1) return mine.contiguous();
      Tensor all = zeros({train_.batch, mine.size(1)}, mine.dtype());
      all.narrow(0, first_stream_, local_batch_).copy_(mine);
      replicas_.sum(all);
      return all;
    };
    for (const auto& [prefix, v] : {std::pair{"h.", state_.h}, std::pair{"c.", state_.c}})
      for (std::int64_t l = 0; v.defined() && l < v.size(0); ++l)
        carried.emplace_back(prefix + std::to_string(l), all_streams(v.value()[l]));
  }
  // Only rank 0 writes; the others wait until the checkpoint is complete (a process that exited
  // earlier could make mpirun end the job in the middle of the write).
  if (!replicas_.is_root()) {
    replicas_.barrier();
    return;
  }
  nlohmann::json j = {{"format", "wengert.lm.checkpoint"},
                      {"version", 1},
                      {"model", model_->config()},
                      {"train", train_},
                      {"epoch", at.epoch},
                      {"batch", at.batch},
                      {"data_rng", data_rng},
                      {"dropout_rng", dropout_rng},
                      {"data_rng_at_epoch_start", at.data_rng_at_epoch_start},
                      {"dropout_rng_at_epoch_start", at.dropout_rng_at_epoch_start},
                      {"nll_sum", at.nll_sum},
                      {"tokens", at.tokens},
                      {"carried_batches", at.carried_batches},
                      {"seconds", at.seconds},
                      {"comm_seconds", at.comm_seconds},
                      {"history", nlohmann::json::array()}};
  for (const EpochStats& s : history_) j["history"].push_back(to_json(s));

  // The new checkpoint, complete and durable, in dir.tmp; then the swap. The last good checkpoint
  // is only moved aside (never removed) until the new one is in place.
  const fs::path temp = sibling(dir, ".tmp"), old = sibling(dir, ".old");
  fs::remove_all(temp);
  fs::create_directories(temp);
  nn::save_checkpoint(temp / "model.safetensors", *model_, *optimizer_,
                      {{"epoch", std::to_string(at.epoch)}, {"batch", std::to_string(at.batch)}});
  nn::save_safetensors(temp / "state.safetensors", carried);
  write_file_atomic(temp / "trainer.json", j.dump(2) + "\n", "Trainer::save_checkpoint");
  sync_directory(dir.parent_path());
  if (complete(dir)) {
    fs::remove_all(old);
    fs::rename(dir, old);
  } else {
    fs::remove_all(dir);  // nothing good in it
  }
  fs::rename(temp, dir);
  sync_directory(dir.parent_path());
  fs::remove_all(old);
  replicas_.barrier();
}

void Trainer::load_checkpoint(const fs::path& dir, NonFiniteValues nonfinite) {
  if (!recover_checkpoint(dir)) {
    check(fs::is_directory(dir), "checkpoint: ", dir.string(), ": no such folder");
    for (const char* name : kCheckpointFiles)
      check(fs::exists(dir / name), "checkpoint: ", (dir / name).string(), ": missing");
  }
  // Parse and check everything first; then change the trainer.
  const nlohmann::json j = detail::read_json(dir / "trainer.json");
  Position at;
  std::array<std::uint64_t, 4> data_rng{}, dropout_rng{};
  std::vector<EpochStats> history;
  try {
    check(j.value("format", std::string()) == "wengert.lm.checkpoint" && j.value("version", 0) == 1,
          "not a wengert.lm checkpoint (format/version)");
    const ModelConfig model = j.at("model").get<ModelConfig>();
    const auto& mine = model_->config();
    check(model.cell == mine.cell && model.vocab_size == mine.vocab_size &&
              model.embedding == mine.embedding && model.hidden == mine.hidden &&
              model.layers == mine.layers && model.dtype == mine.dtype,
          "it holds a different model (", nlohmann::json(model).dump(), ")");
    const TrainConfig train = j.at("train").get<TrainConfig>();
    check(train.partition == train_.partition && train.truncation == train_.truncation &&
              train.steps == train_.steps && train.batch == train_.batch &&
              train.optimizer == train_.optimizer && train.accumulate == train_.accumulate,
          "it was trained with different data settings (", nlohmann::json(train).dump(), ")");
    at.epoch = j.at("epoch").get<std::int64_t>();
    at.batch = j.at("batch").get<std::int64_t>();
    data_rng = j.at("data_rng").get<std::array<std::uint64_t, 4>>();
    dropout_rng = j.at("dropout_rng").get<std::array<std::uint64_t, 4>>();
    at.data_rng_at_epoch_start =
        j.at("data_rng_at_epoch_start").get<std::array<std::uint64_t, 4>>();
    at.dropout_rng_at_epoch_start =
        j.at("dropout_rng_at_epoch_start").get<std::array<std::uint64_t, 4>>();
    at.nll_sum = j.at("nll_sum").get<double>();
    at.tokens = j.at("tokens").get<std::int64_t>();
    at.carried_batches = j.at("carried_batches").get<std::int64_t>();
    at.seconds = j.at("seconds").get<double>();
    at.comm_seconds = j.value("comm_seconds", 0.0);
    for (const auto& h : j.at("history")) history.push_back(epoch_stats(h));
    validate_position(at, history, {data_rng, dropout_rng});
  } catch (const nlohmann::json::exception& e) {
    fail("checkpoint: ", (dir / "trainer.json").string(), ": ", e.what());
  } catch (const Error& e) {
    fail("checkpoint: ", (dir / "trainer.json").string(), ": ", e.what());
  }
  const nn::SafetensorsFile state_file = nn::load_safetensors(dir / "state.safetensors");
  if (nonfinite == NonFiniteValues::refuse) {
    detail::check_finite(dir / "state.safetensors", state_file.tensors);
    for (const fs::path& file :
         {dir / "model.safetensors", nn::optimizer_state_path(dir / "model.safetensors")})
      detail::check_finite(file, nn::load_safetensors(file).tensors);
  }
  std::vector<Tensor> carried_h, carried_c;  // per layer, stacked to [L, B, H] below
  for (const auto& [name, value] : state_file.tensors) {
    check(name == "h." + std::to_string(carried_h.size()) ||
              name == "c." + std::to_string(carried_c.size()),
          "checkpoint: ", (dir / "state.safetensors").string(), ": unexpected state '", name,
          "' (expected h.<layer> and c.<layer> in layer order)");
    (name.starts_with("c.") ? carried_c : carried_h).push_back(value);
  }
  if (at.batch > 0 && train_.partition == Partition::sequential) {
    const auto layers = static_cast<std::size_t>(model_->config().layers);
    const bool lstm = model_->config().cell == nn::CellKind::lstm;
    check(carried_h.size() == layers && carried_c.size() == (lstm ? layers : 0),
          "checkpoint: ", (dir / "state.safetensors").string(), ": expected the state of ", layers,
          " layers");
    const DType dtype = model_->parameters().front().value().dtype();
    for (const auto* part : {&carried_h, &carried_c})
      for (const Tensor& v : *part)
        check(v.shape() == Shape{train_.batch, model_->config().hidden} && v.dtype() == dtype,
              "checkpoint: ", (dir / "state.safetensors").string(), ": state has shape ",
              shape_str(v.shape()), " of ", dtype_name(v.dtype()), ", expected ",
              shape_str(Shape{train_.batch, model_->config().hidden}), " of ", dtype_name(dtype));
    // The state of all B streams: this replica carries the rows of its own.
    for (auto* part : {&carried_h, &carried_c})
      for (Tensor& v : *part) v = v.narrow(0, first_stream_, local_batch_).contiguous();
  }
  nn::load_checkpoint(dir / "model.safetensors", *model_, *optimizer_);  // all-or-nothing
  optimizer_->set_lr(train_.lr);  // the lr comes from the run's config, never from the file
  position_ = at;
  data_rng_.set_state(data_rng);
  dropout_rng_.set_state(dropout_rng);
  state_ = {carried_h.empty() ? Var() : Var(stack(carried_h, 0)),
            carried_c.empty() ? Var() : Var(stack(carried_c, 0))};
  pending_loss_ = Var();
  history_ = std::move(history);
}

}  // namespace wengert::lm
