// A run folder's config.json (lm::load_run_config) on arbitrary bytes. A config it accepts has
// passed validate(); saved again and reloaded it must give the same configuration.
#include <nlohmann/json.hpp>
#include <wengert/lm/run.hpp>

#include "fuzz_support.hpp"

using namespace wengert;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::write_input("run/config.json", fuzz::as_text(data, size));
  lm::RunConfig config;
  if (!fuzz::accepted([&] { config = lm::load_run_config({fuzz::scratch_dir() / "run"}); }))
    return 0;
  const lm::RunPaths copy{fuzz::scratch_dir() / "copy"};
  fuzz::write_input("copy/tokenizer.json", "{}");  // save_run_config records its fingerprint
  lm::save_run_config(copy, config, 0);
  fuzz::promise(nlohmann::json(lm::load_run_config(copy)) == nlohmann::json(config),
                "save + load keeps the configuration");
  return 0;
}
