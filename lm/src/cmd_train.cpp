// `wengert-lm train`: a fresh run (corpus -> tokenizer -> run folder -> Trainer) or --resume of
// the run in --out; after every epoch the checkpoint, the latest weights, log.csv and
// perplexity.svg are rewritten, and a stop request (Ctrl-C) saves a checkpoint mid-epoch.
// Under `mpirun -np N` every process runs this with the same arguments (reading the corpus, and
// on --resume the run folder, itself); only rank 0 writes the run folder and prints.
#include <cmath>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <wengert/nn/checkpoint.hpp>

#include "detail/files.hpp"
#include "wengert/lm/commands.hpp"
#include "wengert/lm/progress.hpp"
#include "wengert/lm/report.hpp"
#include "wengert/lm/run.hpp"
#include "wengert/lm/trainer.hpp"

namespace wengert::lm {

namespace fs = std::filesystem;

namespace {

// Flags that must not change on --resume, and where their value sits in config.json.
constexpr std::pair<const char*, const char*> fixed_on_resume[] = {
    {"tokenizer", "/data/tokenizer"},
    {"merges", "/data/merges"},
    {"normalize", "/data/normalize"},
    {"reserved", "/data/reserved"},
    {"val-fraction", "/data/val_fraction"},
    {"max-tokens", "/data/max_tokens"},
    {"invalid-utf8", "/data/invalid_utf8"},
    {"cell", "/model/cell"},
    {"hidden", "/model/hidden"},
    {"layers", "/model/layers"},
    {"dropout", "/model/dropout"},
    {"embedding", "/model/embedding"},
    {"dtype", "/model/dtype"},
    {"steps", "/train/steps"},
    {"batch", "/train/batch"},
    {"optimizer", "/train/optimizer"},
    {"lr", "/train/lr"},
    {"clip", "/train/clip"},
    {"partition", "/train/partition"},
    {"truncation", "/train/truncation"},
    {"unbiased", "/train/unbiased"},
    {"accumulate", "/train/accumulate"},
    {"seed", "/train/seed"}};

RunConfig resumed_config(const TrainCommand& command, const RunPaths& paths) {
  check(fs::exists(paths.config()), "--resume: ", paths.dir.string(),
        " holds no run to resume (no config.json)");
  RunConfig config = load_run_config(paths);
  const nlohmann::json given = command.config, stored = config;
  for (const auto& [flag, pointer] : fixed_on_resume) {
    const nlohmann::json::json_pointer at(pointer);
    if (command.given.count(flag) && given.at(at) != stored.at(at)) {
      fail("--", flag, " ", given.at(at).dump(), " contradicts the run in ", paths.dir.string(),
           " (", stored.at(at).dump(), "); leave it out to resume");
    }
  }
  if (command.given.count("epochs")) config.train.epochs = command.config.train.epochs;
  if (command.given.count("threads")) config.threads = command.config.threads;
  if (command.given.count("corpus")) config.data.corpus = command.config.data.corpus;
  return config;
}

double training_seconds(const std::vector<EpochStats>& history) {
  double seconds = 0;
  for (const EpochStats& s : history) seconds += s.seconds;
  return seconds;
}

int train(const TrainCommand& command, std::ostream& root_out, Replicas& replicas) {
  std::ostream silent(nullptr);  // the other ranks print nothing
  std::ostream& out = replicas.is_root() ? root_out : silent;
  const bool root = replicas.is_root();
  const RunPaths paths{command.out};
  check(!command.out.empty(), "no run folder given (--out DIR)");
  RunConfig config = command.resume ? resumed_config(command, paths) : command.config;
  if (!command.resume && root) {
    check(!fs::exists(paths.config()), paths.dir.string(),
          " already holds a run; pass --resume to continue it, or choose another --out");
  }
  config.data.validate();
  config.train.validate();
  check(command.time_limit >= 0 && !std::isnan(command.time_limit),
        "--time-limit must be >= 0 seconds (0 = none), got ", command.time_limit);
  set_threads(config.threads);

  const std::string text = load_text(config.data.corpus, config.data);
  const std::uint64_t hash = fnv1a(text);
  std::unique_ptr<text::Tokenizer> tokenizer;
  if (command.resume) {
    const auto stored = detail::read_json(paths.config()).value("corpus_fnv1a", std::uint64_t{0});
    check(stored == 0 || stored == hash, "--resume: corpus ", config.data.corpus,
          " differs from the one this run was trained on");
    check_tokenizer_fingerprint(paths);
    tokenizer = text::load_tokenizer(paths.tokenizer());
  } else {
    tokenizer = make_tokenizer(config.data, text);
  }
  config.model.vocab_size = tokenizer->vocab_size();
  config.model.validate();
  std::vector<std::int64_t> ids = tokenizer->encode(text);
  if (config.data.max_tokens > 0 && std::ssize(ids) > config.data.max_tokens)
    ids.resize(static_cast<std::size_t>(config.data.max_tokens));
  TokenSplit split = split_tokens(std::move(ids), config.data.val_fraction);
  const auto train_tokens = split.train.size(), val_tokens = split.val.size();
  Trainer trainer(config.model, config.train, std::move(split.train), std::move(split.val),
                  replicas);
  // config.json is written last: a folder without it holds no run (and may be trained afresh);
  // a run killed before its first checkpoint resumes from its start. Rank 0 completes an
  // interrupted checkpoint swap before any rank reads the checkpoint.
  const bool from_checkpoint =
      command.resume && replicas.any(root && recover_checkpoint(paths.checkpoint()));
  if (from_checkpoint) {
    trainer.load_checkpoint(paths.checkpoint());
  } else if (!command.resume && root) {
    fs::create_directories(paths.dir);
    tokenizer->save(paths.tokenizer());
    save_run_config(paths, config, hash);
  }

  const auto& m = config.model;
  const auto& t = config.train;
  out << "corpus " << config.data.corpus << ": " << count_code_points(text) << " characters ("
      << config.data.normalize << "), " << tokenizer->kind() << " tokenizer, vocabulary "
      << m.vocab_size << "; " << train_tokens << " training / " << val_tokens
      << " validation tokens"
      << (val_tokens >= 2
              ? " (validation perplexity over " +
                    describe_streams(evaluation_streams(static_cast<std::int64_t>(val_tokens),
                                                        t.validation_streams(), t.steps)) +
                    ")"
              : std::string(" (no validation set)"))
      << "\n"
      << "model " << nn::cell_kind_name(m.cell) << " H=" << m.hidden << " x" << m.layers
      << (m.embedding > 0 ? " embedding " + std::to_string(m.embedding) : std::string(" one-hot"))
      << ", " << trainer.model().num_parameters() << " parameters; batch " << t.batch << " x "
      << t.steps << " steps, " << partition_name(t.partition) << " partition, "
      << truncation_name(t.truncation) << " truncation, " << optimizer_name(t.optimizer) << " lr "
      << t.lr << ", clip " << t.clip
      << (t.accumulate > 1 ? ", " + std::to_string(t.accumulate) + " batches per update"
                           : std::string())
      << (m.dtype == DType::f64 ? ", f64" : "") << "\n";
  if (replicas.size() > 1) {
    out << "data parallel: " << replicas.size() << " processes, " << t.batch / replicas.size()
        << " of the " << t.batch << " streams of each batch each; gradients averaged over MPI\n";
  }
  out << "run folder " << paths.dir.string() << "\n";
  if (from_checkpoint) {
    out << "resuming after epoch " << trainer.epochs_done() << ", batch "
        << trainer.batch_in_epoch() << "\n";
  } else if (command.resume) {
    out << "no checkpoint yet: the run starts again from its beginning\n";
  }
  // Under mpirun, rank 0's stdout is a pseudo-terminal whatever mpirun's own output is (a log
  // file, a pipe): print plain lines, one per epoch.
  ProgressPrinter progress(out, command.live_progress && replicas.size() == 1, t.epochs);
  const std::string title = std::string(nn::cell_kind_name(m.cell)) +
                            " H=" + std::to_string(m.hidden) + " x" + std::to_string(m.layers) +
                            ", " + std::string(tokenizer->kind()) +
                            " tokens: " + fs::path(config.data.corpus).filename().string();
  // The exports of an epoch follow its checkpoint, the commit point; a kill in between leaves
  // them one epoch behind, so a resume at an epoch's end writes them again from the checkpoint.
  const auto write_exports = [&] {
    if (!root) return;
    nn::save_module(paths.model(), trainer.model(),
                    {{"epoch", std::to_string(trainer.epochs_done())}});
    write_csv_log(paths.csv(), trainer.history());
    write_perplexity_svg(paths.svg(), trainer.history(), title);
  };
  if (from_checkpoint && trainer.batch_in_epoch() == 0 && !trainer.history().empty())
    write_exports();
  if (trainer.epochs_done() >= t.epochs) {
    out << "nothing to do: the run has done its " << t.epochs << " epochs (raise --epochs)\n";
    return 0;
  }
  out << std::flush;

  trainer.on_batch = [&](const BatchStats& s) { progress.batch(s); };
  trainer.on_epoch = [&](const EpochStats& s) {
    progress.epoch(s);
    if (command.time_limit > 0 && training_seconds(trainer.history()) >= command.time_limit)
      trainer.set_epochs(s.epoch);  // no new epoch; the run ends (and resumes) like a shorter one
    trainer.save_checkpoint(paths.checkpoint());
    write_exports();
  };
  trainer.set_stop_flag(command.stop);
  if (trainer.fit() == FitResult::stopped) {
    progress.clear_line();
    trainer.save_checkpoint(paths.checkpoint());
    out << "interrupted in epoch " << trainer.epochs_done() + 1 << " before batch "
        << trainer.batch_in_epoch() << ": checkpoint saved; continue with: wengert-lm train --out "
        << paths.dir.string() << " --resume" << std::endl;
    return 130;
  }
  const EpochStats& last = trainer.history().back();
  if (!root) return 0;
  const double seconds = training_seconds(trainer.history());
  out << std::fixed << std::setprecision(2) << "done: train perplexity " << last.train_ppl;
  if (std::isfinite(last.val_ppl)) {
    out << ", validation perplexity " << last.val_ppl;
  } else {
    out << ", no validation set";
  }
  out << " after " << last.epoch << " epochs (" << std::setprecision(1) << seconds
      << " s of training); wrote " << paths.model().string() << ", "
      << paths.csv().filename().string() << ", " << paths.svg().filename().string() << std::endl;
  return 0;
}

}  // namespace

int run_train(const TrainCommand& command, std::ostream& out) {
  Replicas& replicas = world_replicas();
  if (replicas.size() == 1) return train(command, out, replicas);
  try {
    return train(command, out, replicas);
  } catch (const std::exception& e) {
    // A rank that fails alone would leave the others waiting in their next collective: it
    // reports and ends the whole job (mpirun prints that MPI_Abort was called).
    // The line goes out in one write, so that the lines of ranks failing together never
    // interleave (stderr is unbuffered: each << would be a write of its own).
    std::cout << std::flush;
    std::cerr << "wengert-lm: error: rank " + std::to_string(replicas.rank()) + " of " +
                     std::to_string(replicas.size()) + ": " + e.what() + "\n";
    replicas.abort(1);
  }
  return 1;  // (abort does not return)
}

}  // namespace wengert::lm
