// A trainer checkpoint (Trainer::load_checkpoint) with one file replaced by arbitrary bytes: the
// first byte picks it, even trainer.json, odd state.safetensors (the carried state). The
// checkpoint is a real one, saved after the first batch of a tiny 2-layer LSTM run, so that a
// mutation of its valid files reaches every check of the loader. A checkpoint it accepts must
// train on: one more batch runs from it (and may only fail with wengert::Error).
#include <atomic>
#include <iterator>
#include <wengert/lm/trainer.hpp>

#include "fuzz_support.hpp"

using namespace wengert;

namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

lm::ModelConfig tiny_lstm() {
  lm::ModelConfig model;
  model.cell = nn::CellKind::lstm;
  model.vocab_size = 5;
  model.hidden = 3;
  model.layers = 2;
  return model;
}

lm::TrainConfig tiny_train() {
  lm::TrainConfig train;
  train.steps = 4;
  train.batch = 2;
  train.epochs = 2;
  return train;
}

std::vector<std::int64_t> tiny_ids() {
  std::vector<std::int64_t> ids(120);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i * 7 % 5);
  return ids;
}

// The trainer (reused by every input), its checkpoint folder and the checkpoint's valid files.
struct Setup {
  lm::Trainer trainer{tiny_lstm(), tiny_train(), tiny_ids(), tiny_ids()};
  std::atomic<bool> stop{false};  // set after each batch: fit() runs one batch
  std::filesystem::path dir = fuzz::scratch_dir() / "checkpoint";
  std::string trainer_json, state;

  Setup() {
    trainer.set_stop_flag(&stop);
    trainer.on_batch = [this](const lm::BatchStats&) { stop = true; };
    trainer.fit();  // stops after the first batch: the checkpoint carries a state
    trainer.save_checkpoint(dir);
    trainer_json = read_all(dir / "trainer.json");
    state = read_all(dir / "state.safetensors");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static Setup s;
  const std::string_view rest = fuzz::as_text(data + 1, size - 1);
  const bool state = data[0] % 2 == 1;
  fuzz::write_input("checkpoint/trainer.json", state ? std::string_view(s.trainer_json) : rest);
  fuzz::write_input("checkpoint/state.safetensors", state ? rest : std::string_view(s.state));
  if (fuzz::accepted([&] { s.trainer.load_checkpoint(s.dir); })) {
    s.stop = false;
    fuzz::accepted([&] { s.trainer.fit(); });
  }
  return 0;
}
