// The text and evaluation options of a run: d2l's exact cleaning, the reserved tokens, one-stream
// validation (checked against the RNN composed by hand in double precision), a run without a
// validation set, and eval's out-of-vocabulary report.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "lm_fixtures.hpp"

using namespace wengert;
using namespace wengert::lm;

TEST_CASE("normalize d2l with reserved unk is d2l's Time Machine: 170,580 tokens, 28 symbols") {
  // Reference (Python): ''.join(re.sub('[^A-Za-z]+', ' ', l).strip().lower() for l in lines)
  DataConfig data;
  data.normalize = "d2l";
  data.reserved = "unk";
  const std::string text = load_text(wengert::testing::corpus_path(), data);
  const auto tokenizer = make_tokenizer(data, text);
  CHECK(tokenizer->vocab_size() == 28);
  CHECK(tokenizer->encode(text).size() == 170580u);
  data.normalize = "letters";  // newlines become spaces: 173,428 characters
  CHECK(load_text(wengert::testing::corpus_path(), data).size() == 173428u);
}

TEST_CASE(
    "reserved tokens: the option chooses the reserved tokens; auto gives what each tokenizer "
    "needs") {
  const std::string text = "abcab cab";  // 4 distinct symbols
  DataConfig data;
  const auto vocab = [&](const std::string& tokenizer, const std::string& reserved) {
    data.tokenizer = tokenizer;
    data.reserved = reserved;
    return make_tokenizer(data, text);
  };
  CHECK(vocab("char", "none")->vocab_size() == 4);
  CHECK(vocab("char", "unk")->vocab_size() == 5);
  CHECK(vocab("char", "all")->vocab_size() == 8);
  CHECK(vocab("char", "auto")->token_to_id("<unk>") == 0);
  CHECK(vocab("char", "auto")->vocab_size() == 5);
  CHECK_THROWS_WITH(vocab("char", "none")->encode("z"), Catch::Contains("no unknown token"));
  CHECK(vocab("word", "auto")->token_to_id("<unk>") == 0);
  const auto bpe = vocab("bpe", "auto");  // byte fallback: no <unk> needed
  CHECK_FALSE(bpe->token_to_id("<unk>").has_value());
  CHECK(bpe->encode("a")[0] == 'a');  // bytes start at id 0
  CHECK(vocab("bpe", "all")->encode("a")[0] == 4 + 'a');
  data.reserved = "some";
  CHECK_THROWS_WITH(data.validate(),
                    Catch::Contains("--reserved: expected auto, none, unk or all"));
}

TEST_CASE("one-stream evaluation equals the RNN composed by hand, step by step, in f64") {
  auto data = wengert::testing::char_data(3000);
  const std::int64_t V = data.tokenizer.vocab_size(), H = 8;
  Generator init(11);
  LanguageModel model(wengert::testing::tiny_model(V, H), init);
  std::vector<std::int64_t> ids(data.split.train.begin(), data.split.train.begin() + 150);

  // h_t = tanh(W_ih[:, x_t] + b_ih + W_hh h_{t-1} + b_hh), logits = W_dec h_t + b_dec,
  // NLL = logsumexp(logits) - logits[x_{t+1}], summed over the stream from h_0 = 0.
  std::map<std::string, std::vector<double>> p;
  for (const auto& [name, tensor] : model.state_dict()) p[name] = tensor.to_vector<double>();
  const auto& w_ih = p.at("rnn.weight_ih_l0");  // [H, V]
  const auto& w_hh = p.at("rnn.weight_hh_l0");  // [H, H]
  const auto& b_ih = p.at("rnn.bias_ih_l0");
  const auto& b_hh = p.at("rnn.bias_hh_l0");
  const auto& w_dec = p.at("decoder.weight");  // [V, H]
  const auto& b_dec = p.at("decoder.bias");
  REQUIRE(w_ih.size() == static_cast<std::size_t>(H * V));
  REQUIRE(w_dec.size() == static_cast<std::size_t>(V * H));
  std::vector<double> h(H, 0.0), next(H);
  double nll = 0;
  for (std::size_t t = 0; t + 1 < ids.size(); ++t) {
    for (std::int64_t i = 0; i < H; ++i) {
      double a = w_ih[i * V + ids[t]] + b_ih[i] + b_hh[i];
      for (std::int64_t j = 0; j < H; ++j) a += w_hh[i * H + j] * h[j];
      next[i] = std::tanh(a);
    }
    h = next;
    std::vector<double> logits(V);
    double top = -1e300;
    for (std::int64_t v = 0; v < V; ++v) {
      logits[v] = b_dec[v];
      for (std::int64_t j = 0; j < H; ++j) logits[v] += w_dec[v * H + j] * h[j];
      top = std::max(top, logits[v]);
    }
    double sum = 0;
    for (const double l : logits) sum += std::exp(l - top);
    nll += top + std::log(sum) - logits[ids[t + 1]];
  }
  for (const std::int64_t steps : {7, 35, 400}) {  // windows: the state must carry across them
    const Evaluation one = evaluate(model, ids, 1, steps);
    CHECK(one.tokens == 149);
    CHECK(one.nll_sum == Approx(nll).epsilon(1e-5));
  }
  // Several streams each start from zero: a different (here: not equal) number.
  CHECK(evaluation_streams(150, 4, 7) == 4);
  const Evaluation four = evaluate(model, ids, 4, 7);
  CHECK(std::abs(four.nll_sum - nll) > 1e-3);
  // ... stream r being ids[r L, (r + 1) L] (L = 149 / 4 inputs, and one more token as target),
  // each read alone; and the parts of a split over 3 replicas add up to the whole.
  const std::int64_t L = 149 / 4;
  double streams = 0;
  for (std::int64_t r = 0; r < 4; ++r) {
    const std::vector<std::int64_t> row(ids.begin() + r * L, ids.begin() + (r + 1) * L + 1);
    streams += evaluate(model, row, 1, 7).nll_sum;
  }
  CHECK(four.tokens == 4 * L);
  CHECK(four.nll_sum == Approx(streams).epsilon(1e-5));
  double parts = 0;
  for (std::int64_t part = 0; part < 3; ++part)
    parts += evaluate(model, ids, 4, 7, {part, 3}).nll_sum;
  CHECK(parts == Approx(four.nll_sum).epsilon(1e-6));
}

namespace {

std::string write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

}  // namespace

TEST_CASE("val-fraction 0 says there is no validation set; eval reports out-of-vocabulary") {
  wengert::testing::ScratchDir dir("textopts");
  TrainCommand train;
  train.config.data.corpus = write_file(dir.path / "slice.txt", wengert::testing::slice(4000));
  train.config.data.normalize = "none";
  train.config.data.val_fraction = 0;
  train.config.model.hidden = 16;
  train.config.train = wengert::testing::tiny_train(1);
  train.out = dir.path / "run";
  std::ostringstream log;
  REQUIRE(run_train(train, log) == 0);
  CHECK_THAT(log.str(), Catch::Contains("(no validation set)") &&
                            Catch::Contains("no validation set after 1 epochs"));
  CHECK_THAT(log.str(), !Catch::Contains("nan"));

  // 3 characters the training slice never had ("Z", "Q" and "é"), among 20 tokens.
  EvalCommand eval;
  eval.model_dir = train.out;
  eval.corpus = write_file(dir.path / "test.txt", "the Zime Qachine \xC3\xA9nd");
  std::ostringstream report;
  REQUIRE(run_eval(eval, report) == 0);
  CHECK_THAT(report.str(),
             Catch::Contains("20 tokens (char)") &&
                 Catch::Contains("one stream carried through the whole text") &&
                 Catch::Contains("out of vocabulary: 3 tokens (15.00 %) mapped to <unk>"));
  eval.batch = 0;  // the run's --batch: 8 streams over the training slice, nothing unknown
  eval.corpus = train.config.data.corpus;
  std::ostringstream parallel;
  REQUIRE(run_eval(eval, parallel) == 0);
  CHECK_THAT(parallel.str(), Catch::Contains("8 parallel streams, each from a zero state") &&
                                 Catch::Contains("out of vocabulary: 0 tokens (0.00 %)"));
}
