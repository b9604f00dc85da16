// The command functions behind wengert-lm (train / eval / generate on a small slice, the run
// folder's files, --resume) and their one-line errors on bad input; and, when the binary's path
// is known, the binary itself on bad input.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "lm_fixtures.hpp"

using namespace wengert;
using namespace wengert::lm;

namespace {

TrainCommand small_train(const std::filesystem::path& dir, const std::string& corpus) {
  TrainCommand c;
  c.config.data.corpus = corpus;
  c.config.model.hidden = 16;
  c.config.train = wengert::testing::tiny_train(2);
  c.out = dir / "run";
  return c;
}

std::string write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

}  // namespace

TEST_CASE("train, eval and generate commands write and use a run folder") {
  wengert::testing::ScratchDir dir("commands");
  const std::string corpus = write_file(dir.path / "slice.txt", wengert::testing::slice(6000));
  TrainCommand train = small_train(dir.path, corpus);
  std::ostringstream log;
  REQUIRE(run_train(train, log) == 0);
  CHECK_THAT(log.str(), Catch::Contains("epoch 2/2") && Catch::Contains("done: train perplexity"));
  const RunPaths paths{train.out};
  for (const auto& p : {paths.config(), paths.tokenizer(), paths.model(), paths.csv(), paths.svg(),
                        paths.checkpoint() / "trainer.json"}) {
    CHECK(std::filesystem::exists(p));
  }
  const std::string csv = wengert::testing::read_file(paths.csv());
  CHECK(csv.starts_with("epoch,train_ppl,val_ppl,seconds,tokens_per_s,lr,comm_share\n1,"));
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);
  const std::string svg = wengert::testing::read_file(paths.svg());
  CHECK_THAT(svg, Catch::Contains("<polyline") && Catch::Contains("validation") &&
                      Catch::EndsWith("</svg>\n"));

  // --resume with more epochs continues; a contradicting flag is refused.
  train.resume = true;
  train.config.train.epochs = 3;
  train.given = {"epochs", "corpus"};
  std::ostringstream resumed;
  REQUIRE(run_train(train, resumed) == 0);
  CHECK_THAT(resumed.str(),
             Catch::Contains("resuming after epoch 2") && Catch::Contains("epoch 3/3"));
  train.config.model.hidden = 17;
  train.given.insert("hidden");
  CHECK_THROWS_WITH(run_train(train, resumed), Catch::Contains("--hidden 17 contradicts"));
  train.resume = false;
  CHECK_THROWS_WITH(run_train(train, resumed), Catch::Contains("already holds a run"));

  EvalCommand eval;
  eval.model_dir = train.out;
  eval.corpus = corpus;
  std::ostringstream report;
  REQUIRE(run_eval(eval, report) == 0);
  CHECK_THAT(report.str(), Catch::Contains("perplexity") && Catch::Contains("bits/char"));

  GenerateCommand gen;
  gen.model_dir = train.out;
  gen.prefix = "The Time";  // normalized to "the time" like the corpus
  gen.length = 25;
  std::ostringstream sample;
  REQUIRE(run_generate(gen, sample) == 0);
  CHECK(sample.str().starts_with("the time"));
  CHECK(sample.str().size() == std::string("the time").size() + 25 + 1);
}

TEST_CASE("bad input gives one-line errors") {
  wengert::testing::ScratchDir dir("errors");
  std::ostringstream out;
  TrainCommand train = small_train(dir.path, (dir.path / "missing.txt").string());
  CHECK_THROWS_WITH(run_train(train, out), Catch::Contains("no such file"));

  train.config.data.corpus = write_file(dir.path / "short.txt", "a tiny corpus");
  CHECK_THROWS_WITH(run_train(train, out), Catch::Contains("corpus too short"));

  train.config.data.corpus = write_file(dir.path / "ok.txt", wengert::testing::slice(3000));
  train.config.data.merges = 10;
  CHECK_THROWS_WITH(run_train(train, out), Catch::Contains("--merges only applies"));
  train.config.data.merges = 0;
  train.config.train.partition = Partition::random;
  train.config.train.truncation = Truncation::none;
  CHECK_THROWS_WITH(run_train(train, out), Catch::Contains("needs --partition sequential"));
  train.config.train = wengert::testing::tiny_train(1);
  train.config.train.unbiased = true;
  CHECK_THROWS_WITH(run_train(train, out), Catch::Contains("--unbiased needs --truncation random"));
  train.config.train.unbiased = false;
  train.resume = true;
  CHECK_THROWS_WITH(run_train(train, out), Catch::Contains("holds no run to resume"));

  EvalCommand eval;
  eval.model_dir = dir.path / "nothing-here";
  eval.corpus = train.config.data.corpus;
  CHECK_THROWS_WITH(run_eval(eval, out), Catch::Contains("no such folder"));

  // A model folder whose tokenizer does not match its config, or whose weights are missing.
  train.resume = false;
  REQUIRE(run_train(train, out) == 0);
  GenerateCommand gen;
  gen.model_dir = train.out;
  gen.sampling.temperature = 0;
  CHECK_THROWS_WITH(run_generate(gen, out), Catch::Contains("--temperature must be positive"));
  gen.sampling.temperature = 1;
  gen.prefix = "";
  CHECK_THROWS_WITH(run_generate(gen, out), Catch::Contains("prefix is empty"));
  const RunPaths paths{train.out};
  std::string config = wengert::testing::read_file(paths.config());
  const auto at = config.find("\"tokenizer\": \"char\"");
  REQUIRE(at != std::string::npos);
  config.replace(at, std::string("\"tokenizer\": \"char\"").size(), "\"tokenizer\": \"word\"");
  write_file(paths.config(), config);
  CHECK_THROWS_WITH(run_eval(EvalCommand{train.out, train.config.data.corpus, 0, 0}, out),
                    Catch::Contains("a char tokenizer, but config.json says word"));
  std::filesystem::remove(paths.model());
  CHECK_THROWS_WITH(run_eval(EvalCommand{train.out, train.config.data.corpus, 0, 0}, out),
                    Catch::Contains("model.safetensors: missing"));
}

#ifdef WENGERT_LM_BINARY
TEST_CASE("the wengert-lm binary reports bad input on one line and exits non-zero") {
  wengert::testing::ScratchDir dir("binary");
  const std::string bin = WENGERT_LM_BINARY;
  const std::string err = (dir.path / "stderr.txt").string();
  auto run = [&](const std::string& args) {
    const int status = std::system((bin + " " + args + " > /dev/null 2> " + err).c_str());
    return std::pair{status, wengert::testing::read_file(err)};
  };
  auto [missing, missing_err] = run("train --corpus " + (dir.path / "none.txt").string() +
                                    " --out " + (dir.path / "r").string());
  CHECK(missing != 0);
  CHECK_THAT(missing_err,
             Catch::StartsWith("wengert-lm: error: corpus") && Catch::Contains("no such file"));
  CHECK(std::count(missing_err.begin(), missing_err.end(), '\n') == 1);

  auto [flags, flags_err] =
      run("generate --model " + dir.path.string() + " --greedy --temperature 2");
  CHECK(flags != 0);
  CHECK_THAT(flags_err, Catch::StartsWith("wengert-lm: error:") && Catch::Contains("excludes"));

  auto [merges, merges_err] =
      run("train --corpus " + wengert::testing::corpus_path() + " --merges 5");
  CHECK(merges != 0);
  CHECK_THAT(merges_err, Catch::Contains("--merges only applies to --tokenizer bpe"));

  auto [unknown, unknown_err] = run("train --corpus x --cell transformer");
  CHECK(unknown != 0);
  CHECK_THAT(unknown_err, Catch::StartsWith("wengert-lm: error:"));
}
#endif
