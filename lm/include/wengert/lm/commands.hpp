// The three wengert-lm commands as library functions (main.cpp only parses flags into these).
// Each writes its report to `out` and returns the process exit code; bad input throws a
// wengert::Error with a one-line message for main to print.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <set>
#include <string>
#include <wengert/nn/decoder.hpp>

#include "config.hpp"

namespace wengert::lm {

struct TrainCommand {
  RunConfig config;           // from the flags; vocab_size comes from the tokenizer
  std::filesystem::path out;  // the run folder
  bool resume = false;        // continue the run in `out` exactly where its checkpoint stands
  double time_limit = 0;      // seconds of training after which no new epoch starts; 0 = none
  // Flags given on the command line (long names without "--"). With --resume, any of them other
  // than epochs, threads and corpus must agree with the stored config.
  std::set<std::string> given;
  bool live_progress = false;               // a terminal: redraw one progress line
  const std::atomic<bool>* stop = nullptr;  // set by a SIGINT handler; checked between batches
};
// 0 when the epochs are done; 130 when stopped (a checkpoint was saved first).
int run_train(const TrainCommand& command, std::ostream& out);

struct EvalCommand {
  std::filesystem::path model_dir;
  std::filesystem::path corpus;
  std::int64_t batch = 1;  // parallel streams; 1 = one stream through the text; 0 = run's --batch
  int threads = 0;
  NonFiniteValues nonfinite = NonFiniteValues::refuse;  // --allow-nonfinite: load NaN weights
};
// Prints perplexity per token and per character (and bits per character), how the text was
// read (streams), and how many tokens were out of the vocabulary (mapped to <unk>).
int run_eval(const EvalCommand& command, std::ostream& out);

struct GenerateCommand {
  std::filesystem::path model_dir;
  std::string prefix = "time traveller";  // normalized like the training corpus
  std::int64_t length = 200;              // tokens to generate
  nn::SamplingOptions sampling;
  std::uint64_t seed = 0;
  int threads = 0;
  NonFiniteValues nonfinite = NonFiniteValues::refuse;  // --allow-nonfinite: load NaN weights
};
int run_generate(const GenerateCommand& command, std::ostream& out);

// omp_set_num_threads when n > 0.
void set_threads(int n);

}  // namespace wengert::lm
