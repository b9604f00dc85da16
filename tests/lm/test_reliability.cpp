// Issue 14 reproductions: divergence stops (or skips) instead of saving NaN weights, loaders
// refuse non-finite weights and states, sizes read back from config.json are bounded, an
// interrupted checkpoint swap is recovered, log.csv spells out nan.
#include <catch2/catch.hpp>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <wengert/nn/checkpoint.hpp>
#include <wengert/text/bpe_tokenizer.hpp>

#include "lm_fixtures.hpp"

using namespace wengert;
using namespace wengert::lm;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

// One epoch of a tiny model (hidden 8) on the first 3,000 characters, written to dir/run.
TrainCommand tiny_run(const fs::path& dir) {
  std::ofstream(dir / "slice.txt") << wengert::testing::slice(3000);
  TrainCommand c;
  c.config.data.corpus = (dir / "slice.txt").string();
  c.config.model.hidden = 8;
  c.config.train = wengert::testing::tiny_train(1);
  c.out = dir / "run";
  return c;
}

TrainCommand diverging_run(const fs::path& dir, NonFinite mode) {
  std::ofstream(dir / "slice.txt") << wengert::testing::slice(4000);
  TrainCommand c;
  c.config.data.corpus = (dir / "slice.txt").string();
  c.config.model.hidden = 16;
  c.config.train = wengert::testing::tiny_train(2);
  c.config.train.lr = 1e38;  // the first update overflows the weights' float range
  c.config.train.on_nonfinite = mode;
  c.config.threads = 1;
  c.out = dir / "run";
  return c;
}

bool finite_model(const fs::path& file) {
  for (const auto& [name, t] : nn::load_safetensors(file).tensors)
    for (double x : t.to_vector<double>())
      if (!std::isfinite(x)) return false;
  return true;
}

}  // namespace

TEST_CASE("a diverging run stops with an error naming epoch and batch, writing nothing") {
  wengert::testing::ScratchDir dir("diverge-stop");
  const TrainCommand c = diverging_run(dir.path, NonFinite::stop);
  std::ostringstream out;
  CHECK_THROWS_WITH(run_train(c, out),
                    Contains("training diverged") && Contains("in epoch 1, batch"));
  const RunPaths paths{c.out};
  CHECK_FALSE(fs::exists(paths.model()));
  CHECK_FALSE(fs::exists(paths.checkpoint()));
}

TEST_CASE("on-nonfinite skip-batch skips the updates and logs nan, never saving NaN weights") {
  wengert::testing::ScratchDir dir("diverge-skip");
  const TrainCommand c = diverging_run(dir.path, NonFinite::skip_batch);
  std::ostringstream out;
  REQUIRE(run_train(c, out) == 0);
  const RunPaths paths{c.out};
  CHECK(finite_model(paths.model()));
  CHECK(finite_model(paths.checkpoint() / "model.safetensors"));
  // Every batch after the blow-up is skipped: the last epoch has no finite loss to report.
  const std::string csv = wengert::testing::read_file(paths.csv());
  CHECK_THAT(csv, Contains("\n2,nan,"));
}

TEST_CASE("a NaN weight stops training at the next batch; the checkpoint on disk is untouched") {
  wengert::testing::ScratchDir dir("diverge-nan");
  const auto data = wengert::testing::char_data(3000);
  Trainer trainer(wengert::testing::tiny_model(data.tokenizer.vocab_size()),
                  wengert::testing::tiny_train(2), data.split.train, data.split.val);
  trainer.set_epochs(1);
  REQUIRE(trainer.fit() == FitResult::finished);
  trainer.save_checkpoint(dir.path / "checkpoint");
  const std::string saved =
      wengert::testing::read_file(dir.path / "checkpoint" / "model.safetensors");
  trainer.model().parameters().back().value().data<float>()[0] =
      std::numeric_limits<float>::quiet_NaN();
  trainer.set_epochs(2);
  CHECK_THROWS_WITH(trainer.fit(), Contains("loss is nan in epoch 2, batch 1"));
  CHECK(wengert::testing::read_file(dir.path / "checkpoint" / "model.safetensors") == saved);

  // Loaders refuse a checkpoint holding NaN weights.
  trainer.save_checkpoint(dir.path / "bad");
  Trainer other(wengert::testing::tiny_model(data.tokenizer.vocab_size()),
                wengert::testing::tiny_train(2), data.split.train, data.split.val);
  CHECK_THROWS_WITH(other.load_checkpoint(dir.path / "bad"), Contains("NaN or Inf"));
  CHECK(other.epochs_done() == 0);
  // ... unless asked: then the NaN weight is loaded as it is.
  other.load_checkpoint(dir.path / "bad", NonFiniteValues::allow);
  CHECK(other.epochs_done() == 1);
  CHECK(std::isnan(other.model().parameters().back().value().data<float>()[0]));
}

TEST_CASE("load_trained_model refuses NaN weights and out-of-range sizes in config.json") {
  wengert::testing::ScratchDir dir("load-bad");
  TrainCommand c = tiny_run(dir.path);
  std::ostringstream out;
  REQUIRE(run_train(c, out) == 0);
  const RunPaths paths{c.out};
  REQUIRE_NOTHROW(load_trained_model(paths.dir));

  nn::SafetensorsFile weights = nn::load_safetensors(paths.model());
  const std::string good = wengert::testing::read_file(paths.model());
  weights.tensors.back().second.data<float>()[0] = std::numeric_limits<float>::infinity();
  nn::save_safetensors(paths.model(), weights.tensors, weights.metadata);
  CHECK_THROWS_WITH(load_trained_model(paths.dir), Contains("NaN or Inf"));
  // Allowed on request (to inspect a diverged run), here through `eval --allow-nonfinite`.
  const LoadedModel inspected = load_trained_model(paths.dir, NonFiniteValues::allow);
  CHECK(std::isinf(inspected.model->state_dict().back().second.data<float>()[0]));
  EvalCommand eval{.model_dir = paths.dir, .corpus = dir.path / "slice.txt"};
  CHECK_THROWS_WITH(run_eval(eval, out), Contains("NaN or Inf"));
  eval.nonfinite = NonFiniteValues::allow;
  CHECK(run_eval(eval, out) == 0);
  std::ofstream(paths.model(), std::ios::binary) << good;

  const std::string config = wengert::testing::read_file(paths.config());
  for (const auto& [pointer, value, message] :
       {std::tuple{"/model/hidden", nlohmann::json(std::int64_t{1} << 62),
                   "--hidden must be in [1, 65536]"},
        std::tuple{"/model/layers", nlohmann::json(std::int64_t{1} << 40),
                   "--layers must be in [1, 1024]"},
        std::tuple{"/train/batch", nlohmann::json(std::numeric_limits<std::int64_t>::max()),
                   "--batch must be in"},
        std::tuple{"/threads", nlohmann::json(100000), "--threads must be in [0, 1024]"},
        std::tuple{"/data/invalid_utf8", nlohmann::json("ignore"),
                   "--invalid-utf8: expected error or replace, got 'ignore'"},
        // A value of another type, or an integer that does not fit, names its key.
        std::tuple{"/train/lr", nlohmann::json("0.5"), "\"lr\" must be a number, got string"},
        std::tuple{"/threads", nlohmann::json(std::int64_t{1} << 32 | 1),
                   "\"threads\" is out of range: 4294967297"},
        std::tuple{"/train/seed", nlohmann::json(-1), "\"seed\" is out of range: -1"},
        std::tuple{"/model", nlohmann::json::array(), "model must be a JSON object, got array"}}) {
    nlohmann::json j = nlohmann::json::parse(config);
    j[nlohmann::json::json_pointer(pointer)] = value;
    std::ofstream(paths.config()) << j.dump();
    CHECK_THROWS_WITH(load_trained_model(paths.dir), Contains(message));
  }
}

TEST_CASE("an interrupted checkpoint swap is recovered from checkpoint.tmp or checkpoint.old") {
  wengert::testing::ScratchDir dir("swap");
  const auto data = wengert::testing::char_data(3000);
  Trainer trainer(wengert::testing::tiny_model(data.tokenizer.vocab_size()),
                  wengert::testing::tiny_train(1), data.split.train, data.split.val);
  REQUIRE(trainer.fit() == FitResult::finished);
  const fs::path cp = dir.path / "checkpoint";
  CHECK_FALSE(recover_checkpoint(cp));  // never saved
  trainer.save_checkpoint(cp);
  for (const char* suffix : {".tmp", ".old"}) {
    fs::path moved = cp;
    moved += suffix;
    fs::rename(cp, moved);  // as a kill between the two renames of the swap leaves it
    Trainer resumed(wengert::testing::tiny_model(data.tokenizer.vocab_size()),
                    wengert::testing::tiny_train(1), data.split.train, data.split.val);
    resumed.load_checkpoint(cp);
    CHECK(resumed.epochs_done() == 1);
    CHECK(wengert::testing::same_parameters(resumed.model(), trainer.model()));
    CHECK_FALSE(fs::exists(moved));
  }
  // A half-written checkpoint.tmp (no trainer.json) next to a good one is ignored and removed.
  fs::create_directories(dir.path / "checkpoint.tmp");
  std::ofstream(dir.path / "checkpoint.tmp" / "model.safetensors") << "partial";
  CHECK(recover_checkpoint(cp));
  CHECK_FALSE(fs::exists(dir.path / "checkpoint.tmp"));
}

TEST_CASE("log.csv writes nan and inf explicitly") {
  EpochStats s;
  s.epoch = 1;
  s.train_ppl = std::numeric_limits<double>::infinity();
  s.val_ppl = std::numeric_limits<double>::quiet_NaN();
  s.seconds = 1;
  s.tokens_per_s = 2;
  s.lr = 0.5;
  s.comm_seconds = 0.25;
  CHECK(csv_log({s}) ==
        "epoch,train_ppl,val_ppl,seconds,tokens_per_s,lr,comm_share\n1,inf,nan,1,2,0.5,0.25\n");
}

TEST_CASE("JSON nested 100,000 levels deep is refused by every reader, without a stack overflow") {
  wengert::testing::ScratchDir dir("deep-json");
  const std::string deep = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  // safetensors: 8-byte little-endian header length, then the header.
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((deep.size() >> (8 * i)) & 0xff);
  std::ofstream(dir.path / "deep.safetensors", std::ios::binary) << file << deep;
  CHECK_THROWS_WITH(nn::load_safetensors(dir.path / "deep.safetensors"),
                    Contains("deep.safetensors") && Contains("nested deeper than 64"));
  std::ofstream(dir.path / "tokenizer.json", std::ios::binary) << deep;
  CHECK_THROWS_WITH(text::load_tokenizer(dir.path / "tokenizer.json"),
                    Contains("tokenizer.json") && Contains("nested deeper than 64"));
  std::ofstream(dir.path / "config.json", std::ios::binary) << deep;
  CHECK_THROWS_WITH(load_run_config(RunPaths{dir.path}),
                    Contains("config.json") && Contains("nested deeper than 64"));
  // 64 levels are fine as JSON (and then refused for what they hold).
  const std::string ok = "{\"a\":" + std::string(62, '[') + std::string(62, ']') + "}";
  std::ofstream(dir.path / "config.json", std::ios::binary) << ok;
  CHECK_THROWS_WITH(load_run_config(RunPaths{dir.path}), Contains("not a wengert.lm.run config"));
}

TEST_CASE("trainer.json and state.safetensors are validated field by field on load") {
  wengert::testing::ScratchDir dir("trainer-json");
  const auto data = wengert::testing::char_data(3000);
  TrainConfig train = wengert::testing::tiny_train(1);
  Trainer trainer(wengert::testing::tiny_model(data.tokenizer.vocab_size()), train,
                  data.split.train, data.split.val);
  REQUIRE(trainer.fit() == FitResult::finished);
  const fs::path cp = dir.path / "checkpoint";
  trainer.save_checkpoint(cp);
  const std::string good = wengert::testing::read_file(cp / "trainer.json");
  const auto fresh = [&] {
    return Trainer(wengert::testing::tiny_model(data.tokenizer.vocab_size()), train,
                   data.split.train, data.split.val);
  };
  for (const auto& [pointer, value, message] :
       {std::tuple{"/epoch", nlohmann::json(5), "epoch 5 but a history of 1 epochs"},
        std::tuple{"/data_rng", nlohmann::json::array({0, 0, 0, 0}), "all-zero random generator"},
        std::tuple{"/history/0/epoch", nlohmann::json(3), "history entry 0 is epoch 3"},
        std::tuple{"/batch", nlohmann::json(-1), "negative epoch, batch or count"}}) {
    nlohmann::json j = nlohmann::json::parse(good);
    j[nlohmann::json::json_pointer(pointer)] = value;
    std::ofstream(cp / "trainer.json") << j.dump();
    Trainer t = fresh();
    CHECK_THROWS_WITH(t.load_checkpoint(cp), Contains("trainer.json") && Contains(message));
  }
  std::ofstream(cp / "trainer.json") << good;
  // A state tensor of an unknown name.
  nn::save_safetensors(cp / "state.safetensors", {{"z.0", zeros({8, 24}, DType::f32)}});
  Trainer t = fresh();
  CHECK_THROWS_WITH(t.load_checkpoint(cp), Contains("unexpected state 'z.0'"));
  // The optimizer's lr is the run's, whatever the optimizer file says.
  nn::save_safetensors(cp / "state.safetensors", {});
  train.lr = 0.25;
  Trainer other(wengert::testing::tiny_model(data.tokenizer.vocab_size()), train, data.split.train,
                data.split.val);
  other.load_checkpoint(cp);
  CHECK(other.optimizer().lr() == 0.25);
}

TEST_CASE(
    "a tokenizer.json other than the model's is refused; a non-UTF-8 corpus path is an error") {
  wengert::testing::ScratchDir dir("fingerprint");
  TrainCommand c = tiny_run(dir.path);
  std::ostringstream out;
  REQUIRE(run_train(c, out) == 0);
  const RunPaths paths{c.out};
  // Same kind, same size, other tokens: the characters of the slice, reversed in case.
  std::string other = wengert::testing::slice(3000);
  for (char& ch : other)
    ch = static_cast<char>(std::isupper(ch) ? std::tolower(ch) : std::toupper(ch));
  const auto swapped = text::CharTokenizer::train(other);
  swapped.save(paths.tokenizer());
  CHECK_THROWS_WITH(load_trained_model(paths.dir),
                    Contains("not the tokenizer this model was trained with"));

  const fs::path bad_name = dir.path / std::string("corpus-\xff.txt");
  std::ofstream(bad_name) << wengert::testing::slice(3000);
  TrainCommand bad = c;
  bad.config.data.corpus = bad_name.string();
  bad.out = dir.path / "run2";
  CHECK_THROWS_WITH(run_train(bad, out), Contains("--corpus: the path is not valid UTF-8"));
  CHECK_FALSE(fs::exists(bad.out / "tokenizer.json"));
}

TEST_CASE("a BPE tokenizer.json whose merges double a token 32 times is refused cheaply") {
  wengert::testing::ScratchDir dir("bpe-doubling");
  const text::BPETokenizer small({}, {});
  small.save(dir.path / "tokenizer.json");
  nlohmann::json j =
      nlohmann::json::parse(wengert::testing::read_file(dir.path / "tokenizer.json"));
  // Token 97 is the byte 'a'; merge k joins the newest token with itself: 2^32 bytes at the end.
  const std::int64_t first = 97, base = static_cast<std::int64_t>(small.vocab_size());
  j["merges"] = nlohmann::json::array({{first, first}});
  for (std::int64_t k = 1; k < 32; ++k) j["merges"].push_back({base + k - 1, base + k - 1});
  std::ofstream(dir.path / "tokenizer.json") << j.dump();
  CHECK_THROWS_WITH(text::load_tokenizer(dir.path / "tokenizer.json"),
                    Contains("longer than 65536 bytes"));
}

TEST_CASE("a carried LSTM state of the wrong shape or dtype is refused on load") {
  // Only the h states were checked: a c state of another shape (or any state of another dtype)
  // loaded and failed later, inside the first batch (seeds fuzz/corpus/checkpoint/state_*).
  wengert::testing::ScratchDir dir("state-shapes");
  const auto data = wengert::testing::char_data(3000);
  ModelConfig model = wengert::testing::tiny_model(data.tokenizer.vocab_size(), 6);
  model.cell = nn::CellKind::lstm;
  const TrainConfig train = wengert::testing::tiny_train(1);
  Trainer trainer(model, train, data.split.train, data.split.val);
  trainer.on_batch = [&](const BatchStats&) { trainer.request_stop(); };
  REQUIRE(trainer.fit() == FitResult::stopped);
  const fs::path cp = dir.path / "checkpoint";
  trainer.save_checkpoint(cp);
  const nn::SafetensorsFile good = nn::load_safetensors(cp / "state.safetensors");
  REQUIRE(good.tensors.size() == 2);  // h.0 and c.0, [8, 6] each
  for (const auto& [name, replacement] :
       {std::pair{"c.0", zeros({6, 8}, DType::f32)}, std::pair{"c.0", zeros({8, 6}, DType::f64)},
        std::pair{"h.0", zeros({8, 6}, DType::i64)}}) {
    nn::NamedTensors state = good.tensors;
    for (auto& [n, t] : state)
      if (n == name) t = replacement;
    nn::save_safetensors(cp / "state.safetensors", state);
    Trainer other(model, train, data.split.train, data.split.val);
    CHECK_THROWS_WITH(other.load_checkpoint(cp), Contains("state.safetensors: state has shape") &&
                                                     Contains("expected [8, 6] of f32"));
  }
  // A NaN state (issue 14: "loaders accept ... a NaN recurrent state") is refused unless asked.
  nn::NamedTensors nan_state = good.tensors;
  nan_state[0].second = full({8, 6}, std::numeric_limits<double>::quiet_NaN());
  nn::save_safetensors(cp / "state.safetensors", nan_state);
  Trainer refusing(model, train, data.split.train, data.split.val);
  CHECK_THROWS_WITH(refusing.load_checkpoint(cp),
                    Contains("state.safetensors: tensor 'h.0' holds NaN or Inf"));
  refusing.load_checkpoint(cp, NonFiniteValues::allow);
  CHECK(refusing.batch_in_epoch() == 1);

  nn::save_safetensors(cp / "state.safetensors", good.tensors);
  Trainer other(model, train, data.split.train, data.split.val);
  other.load_checkpoint(cp);
  CHECK(other.batch_in_epoch() == 1);
}

TEST_CASE("generate --temperature inf never samples a reserved token") {
  // Issue 14: <pad>/<bos>/<eos> were masked with -1e300, which an infinite temperature turns
  // into 0: they were drawn as often as any character.
  wengert::testing::ScratchDir dir("temperature-inf");
  TrainCommand c = tiny_run(dir.path);
  c.config.data.reserved = "all";
  std::ostringstream out;
  REQUIRE(run_train(c, out) == 0);
  GenerateCommand gen;
  gen.model_dir = c.out;
  gen.length = 2000;
  gen.sampling.temperature = std::numeric_limits<double>::infinity();
  std::ostringstream sampled;
  REQUIRE(run_generate(gen, sampled) == 0);
  for (const char* reserved : {"<pad>", "<bos>", "<eos>"})
    CHECK(sampled.str().find(reserved) == std::string::npos);
  CHECK(sampled.str().find("<unk>") != std::string::npos);  // drawn like any other token
}
