// Module and training checkpoints on top of safetensors: the module's state_dict in one file, the
// optimizer state in a second one beside it; both are validated in full before anything is loaded.
#include <atomic>
#include <chrono>
#include <map>

#include "wengert/nn/checkpoint.hpp"

namespace wengert::nn {

namespace {

namespace fs = std::filesystem;
constexpr const char* checkpoint_id_key = "wengert.checkpoint_id";

// Every name, shape and dtype of the module found in the file, and nothing else.
void check_matches(const fs::path& path, const NamedTensors& file, const NamedTensors& module) {
  std::map<std::string, const Tensor*> in_file;
  for (const auto& [name, t] : file) in_file[name] = &t;
  for (const auto& [name, t] : module) {
    const auto it = in_file.find(name);
    check(it != in_file.end(), "load_module: '", path.string(), "': tensor '", name,
          "' of the module is missing from the file");
    const Tensor& f = *it->second;
    check(f.shape() == t.shape() && f.dtype() == t.dtype(), "load_module: '", path.string(),
          "': tensor '", name, "' is ", f.dtype(), " ", ShapePrinter{f.shape()},
          " in the file but ", t.dtype(), " ", ShapePrinter{t.shape()}, " in the module");
    in_file.erase(it);
  }
  check(in_file.empty(), "load_module: '", path.string(), "': tensor '",
        in_file.empty() ? "" : in_file.begin()->first, "' in the file is not in the module");
}

std::string new_checkpoint_id() {
  static std::atomic<std::uint64_t> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()) + "-" +
         std::to_string(counter++);
}

}  // namespace

void save_module(const fs::path& path, const Module& m, const Metadata& metadata) {
  save_safetensors(path, m.state_dict(), metadata);
}

void load_module(const fs::path& path, Module& m) {
  const SafetensorsFile file = load_safetensors(path);
  check_matches(path, file.tensors, m.state_dict());
  m.load_state_dict(file.tensors);
}

fs::path optimizer_state_path(const fs::path& model_path) {
  fs::path out = model_path;
  const std::string stem = model_path.extension() == ".safetensors"
                               ? model_path.stem().string()
                               : model_path.filename().string();
  return out.replace_filename(stem + ".optim.safetensors");
}

void save_checkpoint(const fs::path& model_path, const Module& m, const Optimizer& optimizer,
                     const Metadata& metadata) {
  Metadata tagged = metadata;
  tagged[checkpoint_id_key] = new_checkpoint_id();
  // Optimizer first: a crash in between leaves the old model file, whose id no longer matches.
  save_safetensors(optimizer_state_path(model_path), optimizer.state(), tagged);
  save_safetensors(model_path, m.state_dict(), tagged);
}

Metadata load_checkpoint(const fs::path& model_path, Module& m, Optimizer& optimizer) {
  const fs::path optim_path = optimizer_state_path(model_path);
  const SafetensorsFile model = load_safetensors(model_path);
  const SafetensorsFile optim = load_safetensors(optim_path);
  const auto id = [](const SafetensorsFile& f) {
    const auto it = f.metadata.find(checkpoint_id_key);
    return it == f.metadata.end() ? std::string() : it->second;
  };
  check(!id(model).empty() && id(model) == id(optim), "load_checkpoint: '", optim_path.string(),
        "' does not belong to '", model_path.string(), "' (", checkpoint_id_key, " '", id(optim),
        "' vs '", id(model), "')");
  check_matches(model_path, model.tensors, m.state_dict());
  try {
    optimizer.load_state(optim.tensors);  // validates everything before changing anything
  } catch (const Error& e) {
    fail("load_checkpoint: '", optim_path.string(), "': ", e.what());
  }
  m.load_state_dict(model.tensors);  // already validated: cannot fail half-way
  Metadata out = model.metadata;
  out.erase(checkpoint_id_key);
  return out;
}

}  // namespace wengert::nn
