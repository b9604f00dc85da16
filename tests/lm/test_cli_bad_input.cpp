// Table-driven test of the wengert-lm binary on bad flag values: every numeric flag of train,
// eval and generate with negative, zero, huge, NaN, empty and non-numeric values (where they are
// invalid) fails with exit status != 0 and exactly one line "wengert-lm: error: ..." naming the
// flag and the reason.
#ifdef WENGERT_LM_BINARY
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "lm_fixtures.hpp"

namespace {

struct BadFlag {
  const char* command;  // subcommand
  const char* flag;
  const char* value;     // passed single-quoted to the shell
  const char* expected;  // a substring of the one-line message
};

constexpr const char* kHuge = "9223372036854775807";

// clang-format off
const BadFlag kTable[] = {
    {"train", "--hidden", "-1", "--hidden must be in [1, 65536], got -1"},
    {"train", "--hidden", "0", "--hidden must be in [1, 65536], got 0"},
    {"train", "--hidden", "4611686018427387904", "--hidden must be in [1, 65536]"},
    {"train", "--hidden", "nan", "Could not convert: --hidden = nan"},
    {"train", "--hidden", "", "--hidden: expected a value"},
    {"train", "--hidden", "abc", "Could not convert: --hidden = abc"},
    {"train", "--embedding", "-1", "--embedding (0 = one-hot) must be in [0, 65536], got -1"},
    {"train", "--embedding", "4611686018427387904", "--embedding (0 = one-hot) must be in"},
    {"train", "--embedding", "", "--embedding: expected a value"},
    {"train", "--layers", "0", "--layers must be in [1, 1024], got 0"},
    {"train", "--layers", kHuge, "--layers must be in [1, 1024]"},
    {"train", "--layers", "x", "Could not convert: --layers = x"},
    {"train", "--steps", "-5", "--steps must be in [1, 1048576], got -5"},
    {"train", "--steps", "0", "--steps must be in [1, 1048576], got 0"},
    {"train", "--steps", kHuge, "--steps must be in [1, 1048576]"},
    {"train", "--steps", "", "--steps: expected a value"},
    {"train", "--batch", "0", "--batch must be in [1, 1048576], got 0"},
    {"train", "--batch", kHuge, "--batch must be in [1, 1048576]"},
    {"train", "--batch", "nan", "Could not convert: --batch = nan"},
    {"train", "--accumulate", "0", "--accumulate must be in [1, 1048576], got 0"},
    {"train", "--accumulate", "x", "Could not convert: --accumulate = x"},
    {"train", "--dtype", "f16", "--dtype: f16 not in {f32,f64}"},
    {"train", "--epochs", "-1", "--epochs must be in [0, 1073741824], got -1"},
    {"train", "--epochs", kHuge, "--epochs must be in [0, 1073741824]"},
    {"train", "--merges", "-1", "--merges must be in [0, 16777216], got -1"},
    {"train", "--merges", kHuge, "--merges must be in [0, 16777216]"},
    {"train", "--max-tokens", "-1", "--max-tokens must be in [0, 1099511627776], got -1"},
    {"train", "--max-tokens", "abc", "Could not convert: --max-tokens = abc"},
    {"train", "--threads", "-1", "--threads must be in [0, 1024], got -1"},
    {"train", "--threads", "100000", "--threads must be in [0, 1024], got 100000"},
    {"train", "--threads", kHuge, "Could not convert: --threads"},
    {"train", "--seed", "-1", "--seed: expected a non-negative integer, got '-1'"},
    {"train", "--seed", "nan", "--seed: expected a non-negative integer, got 'nan'"},
    {"train", "--seed", "", "--seed: expected a non-negative integer, got ''"},
    {"train", "--lr", "-1", "--lr: expected a positive finite number, got '-1'"},
    {"train", "--lr", "0", "--lr: expected a positive finite number, got '0'"},
    {"train", "--lr", "nan", "--lr: expected a positive finite number, got 'nan'"},
    {"train", "--lr", "inf", "--lr: expected a positive finite number, got 'inf'"},
    {"train", "--lr", "", "--lr: expected a positive finite number, got ''"},
    {"train", "--lr", "abc", "--lr: expected a positive finite number, got 'abc'"},
    {"train", "--clip", "-1", "--clip must be >= 0 (0 = off) and finite, got -1"},
    {"train", "--clip", "nan", "--clip must be >= 0 (0 = off) and finite, got nan"},
    {"train", "--clip", "", "--clip: expected a value"},
    {"train", "--dropout", "-0.5", "--dropout must be in [0, 1), got -0.5"},
    {"train", "--dropout", "1", "--dropout must be in [0, 1), got 1"},
    {"train", "--dropout", "nan", "--dropout must be in [0, 1), got nan"},
    {"train", "--val-fraction", "-1", "--val-fraction must be in [0, 1), got -1"},
    {"train", "--val-fraction", "nan", "--val-fraction must be in [0, 1), got nan"},
    {"train", "--val-fraction", "abc", "Could not convert: --val-fraction = abc"},
    {"train", "--time-limit", "-1", "--time-limit must be >= 0 seconds (0 = none), got -1"},
    {"train", "--time-limit", "nan", "--time-limit must be >= 0 seconds (0 = none), got nan"},
    {"train", "--time-limit", "", "--time-limit: expected a value"},
    {"train", "--on-nonfinite", "ignore", "--on-nonfinite"},
    {"eval", "--batch", "-1", "--batch (0 = the run's) must be in [0, 1048576], got -1"},
    {"eval", "--batch", kHuge, "--batch (0 = the run's) must be in [0, 1048576]"},
    {"eval", "--threads", "100000", "--threads must be in [0, 1024], got 100000"},
    {"eval", "--batch", "", "--batch: expected a value"},
    {"generate", "--length", "-1", "--length must be in [0, 1048576], got -1"},
    {"generate", "--length", kHuge, "--length must be in [0, 1048576]"},
    {"generate", "--length", "abc", "Could not convert: --length = abc"},
    {"generate", "--temperature", "-1", "--temperature must be positive, got -1"},
    {"generate", "--temperature", "0", "--temperature must be positive, got 0"},
    {"generate", "--temperature", "nan", "--temperature must be positive, got nan"},
    {"generate", "--temperature", "", "--temperature: expected a value"},
    {"generate", "--top-k", "-1", "--top-k must be >= 0, got -1"},
    {"generate", "--seed", "-1", "--seed: expected a non-negative integer, got '-1'"},
    {"generate", "--threads", "-2", "--threads must be in [0, 1024], got -2"},
};
// clang-format on

}  // namespace

TEST_CASE("wengert-lm: every flag's invalid values fail with the expected one-line message") {
  wengert::testing::ScratchDir dir("bad-flags");
  const auto corpus = dir.path / "slice.txt";
  std::ofstream(corpus) << wengert::testing::slice(3000);
  const std::string err = (dir.path / "stderr.txt").string();
  for (const BadFlag& row : kTable) {
    const std::string command = row.command;
    std::string args = command == "train" ? " --corpus " + corpus.string() + " --out " +
                                                (dir.path / "run").string() + " --epochs 1"
                                          : " --model " + (dir.path / "run").string();
    if (command == "eval") args += " --corpus " + corpus.string();
    if (std::string(row.flag) == "--epochs")
      args = " --corpus " + corpus.string() + " --out " + (dir.path / "run").string();
    if (std::string(row.flag) == "--merges") args += " --tokenizer bpe";
    const std::string line = std::string(WENGERT_LM_BINARY) + " " + command + args + " " +
                             row.flag + " '" + row.value + "' > /dev/null 2> " + err;
    INFO(line);
    const int status = std::system(line.c_str());
    const std::string message = wengert::testing::read_file(err);
    CHECK(status != 0);
    CHECK_THAT(message, Catch::StartsWith("wengert-lm: error: ") && Catch::Contains(row.expected));
    CHECK(std::count(message.begin(), message.end(), '\n') == 1);
    CHECK_FALSE(std::filesystem::exists(dir.path / "run" / "config.json"));
  }
}
#endif
