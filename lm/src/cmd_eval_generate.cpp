// `wengert-lm eval` (perplexity of a trained model on a corpus, per token and per character)
// and `wengert-lm generate` (prefix warm-up, then sampling), plus the thread-count setting.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numbers>

#include "wengert/lm/commands.hpp"
#include "wengert/lm/generate.hpp"
#include "wengert/lm/run.hpp"
#include "wengert/lm/trainer.hpp"

namespace wengert::lm {

void set_threads(int n) {
  check_size("--threads", n, 0, limits::threads);
  if (n > 0) omp_set_num_threads(n);
}

int run_eval(const EvalCommand& command, std::ostream& out) {
  set_threads(command.threads);
  check_size("--batch (0 = the run's)", command.batch, 0, limits::batch);
  LoadedModel loaded = load_trained_model(command.model_dir, command.nonfinite);
  const std::string text = load_text(command.corpus, loaded.config.data);
  const std::vector<std::int64_t> ids = loaded.tokenizer->encode(text);
  check(ids.size() >= 2, "corpus ", command.corpus.string(), " is too short: ", ids.size(),
        " tokens (need at least 2)");
  const std::int64_t batch = command.batch > 0 ? command.batch : loaded.config.train.batch;
  const std::int64_t steps = loaded.config.train.steps;
  const std::int64_t streams = evaluation_streams(std::ssize(ids), batch, steps);
  const Evaluation e = evaluate(*loaded.model, ids, batch, steps);
  const std::optional<std::int64_t> unk = loaded.tokenizer->token_to_id("<unk>");
  const auto oov = unk ? std::count(ids.begin(), ids.end(), *unk) : 0;
  // Per character: the same total NLL spread over the characters the scored tokens cover,
  // estimated with the corpus' mean characters per token.
  const double chars_per_token =
      static_cast<double>(count_code_points(text)) / static_cast<double>(ids.size());
  const double nll_per_char = e.mean_nll() / chars_per_token;
  out << std::fixed << std::setprecision(3) << "corpus " << command.corpus.string() << ": "
      << count_code_points(text) << " characters, " << ids.size() << " tokens ("
      << loaded.tokenizer->kind() << "), " << e.tokens << " scored as " << describe_streams(streams)
      << "\nout of vocabulary: " << oov << " tokens (" << std::setprecision(2)
      << 100.0 * static_cast<double>(oov) / static_cast<double>(ids.size()) << " %)"
      << (unk ? " mapped to <unk>" : "") << "\n"
      << std::setprecision(3) << "perplexity " << e.perplexity() << " per token (" << e.mean_nll()
      << " nats)\n"
      << "per character: perplexity " << std::exp(nll_per_char) << ", "
      << nll_per_char / std::numbers::ln2 << " bits/char" << std::endl;
  return 0;
}

int run_generate(const GenerateCommand& command, std::ostream& out) {
  set_threads(command.threads);
  check(command.sampling.greedy ||
            (command.sampling.temperature > 0 && !std::isnan(command.sampling.temperature)),
        "--temperature must be positive, got ", command.sampling.temperature);
  check_size("--length", command.length, 0, limits::generate_length);
  check(command.sampling.top_k >= 0, "--top-k must be >= 0, got ", command.sampling.top_k);
  LoadedModel loaded = load_trained_model(command.model_dir, command.nonfinite);
  const std::string prefix =
      text::normalize(command.prefix, parse_normalizer(loaded.config.data.normalize));
  Generator gen(command.seed);
  out << generate(*loaded.model, *loaded.tokenizer, prefix, command.length, command.sampling, gen)
      << std::endl;
  return 0;
}

}  // namespace wengert::lm
