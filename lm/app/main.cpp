// wengert-lm: train, evaluate and sample character/word/BPE language models (RNN, GRU, LSTM).
// This file only parses flags (CLI11) into the command structs of <wengert/lm/commands.hpp>,
// turns errors into one line "wengert-lm: error: ..." and a non-zero exit, and makes Ctrl-C
// (SIGINT), SIGTERM or SIGUSR1 during training save a checkpoint (exit 130). Under mpirun the
// ranks agree to stop at the same batch (see Trainer): `kill -USR1 <mpirun>` is forwarded to
// every rank at once; on Ctrl-C Open MPI 4.1's mpirun sends SIGCONT, SIGTERM 1 s later and
// SIGKILL 1 s after that (--mca odls_base_sigkill_timeout S): a step and the save must fit in
// that second (see README, "Stopping and failures").
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <optional>
#include <wengert/lm.hpp>

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_stop_signal(int signal) {
  stop_requested.store(true);
  std::signal(signal, SIG_DFL);  // a second one quits at once
}

std::string default_run_dir() {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  return std::string("runs/") + stamp;
}

// Flag validators with a one-line message (CLI11 prefixes the flag's name).
const CLI::Validator non_negative_integer(
    [](std::string& s) -> std::string {
      if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) return "";
      return "expected a non-negative integer, got '" + s + "'";
    },
    "INT>=0");
const CLI::Validator positive_real(
    [](std::string& s) -> std::string {
      char* end = nullptr;
      const double x = std::strtod(s.c_str(), &end);
      if (!s.empty() && *end == '\0' && std::isfinite(x) && x > 0) return "";
      return "expected a positive finite number, got '" + s + "'";
    },
    "REAL>0");

const CLI::Validator non_empty(
    [](std::string& s) -> std::string { return s.empty() ? "expected a value, got ''" : ""; }, "");

// A flag taking one of the names of an enum's table (config.hpp): CLI11 lists them in --help
// and refuses any other value ("--dtype: f16 not in {f32,f64}"); `first` goes before them.
template <class E, std::size_t N>
CLI::IsMember one_of(const wengert::EnumName<E> (&table)[N], std::string_view first = {}) {
  std::vector<std::string> names;
  if (!first.empty()) names.emplace_back(first);
  for (const wengert::EnumName<E>& entry : table) names.emplace_back(entry.name);
  return CLI::IsMember(names);
}

// Long names of the options the user actually gave.
std::set<std::string> given_flags(const CLI::App& app) {
  std::set<std::string> given;
  for (const CLI::Option* option : app.get_options()) {
    if (option->count() > 0 && !option->get_lnames().empty()) given.insert(option->get_lnames()[0]);
  }
  return given;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace wengert::lm;
  CLI::App app{
      "wengert-lm: character / word / BPE language models with RNN, GRU and LSTM "
      "(train, eval, generate)"};
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("wengert-lm: error: ") + e.what() + "\n";
  });

  // --- train ---
  TrainCommand train;
  RunConfig& rc = train.config;
  std::string cell = "rnn", partition = "sequential", truncation = "fixed", optimizer = "sgd";
  std::string dtype = "f32";
  std::optional<double> lr;
  std::string out_dir;
  CLI::App* t = app.add_subcommand("train", "train a model; writes a run folder (--out)");
  t->add_option("--corpus", rc.data.corpus,
                "UTF-8 text file to train on (required unless --resume)");
  t->add_option("--tokenizer", rc.data.tokenizer,
                "tokens: char, word, bpe, or gpt2:DIR (GPT-2's encoder.json + vocab.bpe, or a "
                "Hugging Face tokenizer.json, in DIR)")
      ->capture_default_str();
  t->add_option("--merges", rc.data.merges, "bpe only: number of merges (default 500)");
  t->add_option("--normalize", rc.data.normalize,
                "text cleaning: none; lower; letters (lowercase, every run of non-letters, "
                "newlines included, -> one space); d2l (exactly d2l's: letters per line, "
                "stripped, lines joined with no separator)")
      ->capture_default_str()
      ->check(one_of(kNormalizerNames));
  t->add_option("--reserved", rc.data.reserved,
                "reserved tokens: none, unk, all (<pad> <bos> <eos> <unk>), or auto (what the "
                "model needs: unk for char/word, none for bpe)")
      ->capture_default_str()
      ->check(one_of(wengert::text::kReservedTokensNames, kReservedAuto));
  t->add_option("--val-fraction", rc.data.val_fraction,
                "fraction of tokens held out for validation (the end)")
      ->capture_default_str();
  t->add_option("--val-streams", rc.train.val_streams,
                "validation perplexity over N parallel streams, each from a zero state; 1 = one "
                "stream through the whole held-out text; 0 = --batch streams")
      ->capture_default_str();
  t->add_option(
       "--invalid-utf8", rc.data.invalid_utf8,
       "invalid UTF-8 in the corpus: error (naming the byte offset) or replace (by U+FFFD)")
      ->capture_default_str()
      ->check(one_of(kInvalidUtf8Names));
  t->add_option("--max-tokens", rc.data.max_tokens,
                "use only the first N tokens of the corpus, as d2l's load_data_time_machine does "
                "(10000); 0 = all")
      ->capture_default_str();
  t->add_option("--cell", cell, "recurrent cell: rnn, gru or lstm")
      ->capture_default_str()
      ->check(one_of(wengert::nn::kCellKindNames));
  t->add_option("--hidden", rc.model.hidden, "hidden units per layer (H)")->capture_default_str();
  t->add_option("--layers", rc.model.layers, "number of recurrent layers")->capture_default_str();
  t->add_option("--dropout", rc.model.dropout, "dropout between layers and before the decoder")
      ->capture_default_str();
  t->add_option("--embedding", rc.model.embedding, "embedding size E; 0 = one-hot inputs")
      ->capture_default_str();
  t->add_option("--dtype", dtype, "floating type of weights and activations: f32 or f64")
      ->capture_default_str()
      ->check(one_of(kFloatDTypeNames));
  t->add_option("--steps", rc.train.steps, "time steps per minibatch (T)")->capture_default_str();
  t->add_option("--batch", rc.train.batch,
                "sequences per minibatch (B); under mpirun -np N each process takes B/N of them")
      ->capture_default_str();
  t->add_option("--accumulate", rc.train.accumulate,
                "gradient accumulation: one update per K minibatches, with their mean gradient")
      ->capture_default_str();
  t->add_option("--epochs", rc.train.epochs, "epochs (with --resume: the new total)")
      ->capture_default_str();
  t->add_option("--optimizer", optimizer, "sgd or adam")
      ->capture_default_str()
      ->check(one_of(kOptimizerNames));
  t->add_option("--lr", lr, "learning rate (default: 1 for sgd, 0.002 for adam)")
      ->check(positive_real);
  t->add_option("--clip", rc.train.clip, "max global gradient norm; 0 = no clipping")
      ->capture_default_str();
  t->add_option("--partition", partition,
                "minibatches: sequential (state carried) or random (state reset)")
      ->capture_default_str()
      ->check(one_of(kPartitionNames));
  t->add_option(
       "--truncation", truncation,
       "BPTT: fixed (T steps), random (random segment lengths, mean T) or none (whole stream; "
       "one update per epoch)")
      ->capture_default_str()
      ->check(one_of(kTruncationNames));
  std::string on_nonfinite = "stop";
  t->add_option("--on-nonfinite", on_nonfinite,
                "a NaN/Inf loss or gradient norm: stop (with an error) or skip-batch")
      ->capture_default_str()
      ->check(one_of(kNonFiniteNames));
  t->add_flag("--unbiased", rc.train.unbiased,
              "with --truncation random: reweight gradients so the estimate is unbiased");
  t->add_option("--seed", rc.train.seed, "random seed (initialisation, batches, dropout)")
      ->capture_default_str()
      ->check(non_negative_integer);
  t->add_option("--threads", rc.threads, "OpenMP threads; 0 = default")->capture_default_str();
  t->add_option("--time-limit", train.time_limit,
                "seconds of training after which no new epoch starts (equal-time comparisons); "
                "0 = none")
      ->capture_default_str();
  t->add_option("--out", out_dir, "run folder (default runs/<date-time>)");
  t->add_flag("--resume", train.resume, "continue the run in --out from its checkpoint");

  // --- eval ---
  EvalCommand eval;
  CLI::App* e = app.add_subcommand("eval", "perplexity of a trained model on a corpus");
  e->add_option("--model", eval.model_dir, "run folder written by train")->required();
  e->add_option("--corpus", eval.corpus, "UTF-8 text file")->required();
  e->add_option("--batch", eval.batch,
                "parallel streams, each from a zero state; 1 = one stream carried through the "
                "whole text; 0 = the run's --batch")
      ->capture_default_str();
  e->add_option("--threads", eval.threads, "OpenMP threads; 0 = default")->capture_default_str();
  const char* allow_nonfinite_help =
      "load weights holding NaN or Inf (a diverged run, to inspect it); refused by default";
  e->add_flag_callback(
      "--allow-nonfinite", [&eval] { eval.nonfinite = NonFiniteValues::allow; },
      allow_nonfinite_help);

  // --- generate ---
  GenerateCommand gen;
  CLI::App* g = app.add_subcommand("generate", "sample text from a trained model");
  g->add_option("--model", gen.model_dir, "run folder written by train")->required();
  g->add_option("--prefix", gen.prefix, "text to warm the state on (normalized like the corpus)")
      ->capture_default_str();
  g->add_option("--length", gen.length, "tokens to generate")->capture_default_str();
  CLI::Option* temperature =
      g->add_option("--temperature", gen.sampling.temperature, "softmax temperature (> 0)")
          ->capture_default_str();
  CLI::Option* top_k =
      g->add_option("--top-k", gen.sampling.top_k, "sample among the k most likely tokens; 0 = all")
          ->capture_default_str();
  CLI::Option* greedy =
      g->add_flag("--greedy", gen.sampling.greedy, "always take the most likely token");
  greedy->excludes(temperature);
  greedy->excludes(top_k);
  g->add_option("--seed", gen.seed, "random seed for sampling")
      ->capture_default_str()
      ->check(non_negative_integer);
  g->add_option("--threads", gen.threads, "OpenMP threads; 0 = default")->capture_default_str();
  g->add_flag_callback(
      "--allow-nonfinite", [&gen] { gen.nonfinite = NonFiniteValues::allow; },
      allow_nonfinite_help);

  // An empty value ("--lr ''") is an error, never a silent default.
  for (CLI::App* sub : {t, e, g}) {
    for (CLI::Option* option : sub->get_options()) {
      if (option->get_type_size() != 0) option->check(non_empty);
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    return app.exit(err);
  }

  try {
    if (t->parsed()) {
      train.given = given_flags(*t);
      if (train.given.count("merges") && rc.data.tokenizer != "bpe") {
        throw wengert::Error("--merges only applies to --tokenizer bpe");
      }
      if (train.resume && out_dir.empty()) throw wengert::Error("--resume needs --out DIR");
      rc.model.cell = wengert::nn::parse_cell_kind(cell);
      rc.model.dtype = parse_float_dtype(dtype);
      rc.train.partition = parse_partition(partition);
      rc.train.truncation = parse_truncation(truncation);
      rc.train.optimizer = parse_optimizer(optimizer);
      rc.train.on_nonfinite = parse_nonfinite(on_nonfinite);
      rc.train.lr = lr ? *lr : (rc.train.optimizer == OptimizerKind::adam ? 0.002 : 1.0);
      train.out = out_dir.empty() ? default_run_dir() : out_dir;
      train.live_progress = isatty(STDOUT_FILENO) != 0;
      train.stop = &stop_requested;
      std::signal(SIGINT, on_stop_signal);
      std::signal(SIGTERM, on_stop_signal);
      std::signal(SIGUSR1, on_stop_signal);  // mpirun forwards SIGUSR1 to every rank at once
      return run_train(train, std::cout);
    }
    if (e->parsed()) return run_eval(eval, std::cout);
    return run_generate(gen, std::cout);
  } catch (const std::exception& err) {  // wengert::Error and everything else
    std::cout << std::flush;
    std::cerr << "wengert-lm: error: " << err.what() << std::endl;
    return 1;
  }
}
