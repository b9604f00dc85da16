// Checkpoints in the safetensors format, so files interchange with PyTorch / HuggingFace tools:
//   8-byte little-endian header length N | N bytes of JSON (space-padded to a multiple of 8)
//   {"name": {"dtype": "F32"|"F64"|"I64", "shape": [...], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "value"}} | raw little-endian data, tensors packed in order,
//   offsets relative to the start of the data section.
// A training checkpoint is two files: the model weights (a plain safetensors state_dict) and, next
// to it, the optimizer state (optimizer_state_path), tied together by a shared checkpoint id.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "module.hpp"
#include "optim.hpp"

namespace wengert::nn {

using Metadata = std::map<std::string, std::string>;

// Atomic: writes a temporary file in the same directory, fsyncs it, renames it over `path`
// (and fsyncs the directory); on any error the temporary is removed and `path` is untouched.
// Non-contiguous tensors are written as their contiguous copies. Names must be unique.
void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const Metadata& metadata = {});

struct SafetensorsFile {
  NamedTensors tensors;  // in data order (the order they were saved in)
  Metadata metadata;
};
// Validates the whole file before returning anything; throws wengert::Error naming the file, the
// tensor and the problem: truncated file, header length past the end, invalid JSON, unknown dtype,
// bad shape, shape * dtype size not matching data_offsets, overlapping / out-of-range offsets,
// gaps or trailing bytes in the data section.
SafetensorsFile load_safetensors(const std::filesystem::path& path);

// The module's state_dict as safetensors (names as named_parameters: "rnn.weight_hh_l0").
void save_module(const std::filesystem::path& path, const Module& m, const Metadata& metadata = {});
// All-or-nothing: the file is fully validated and every name, shape and dtype checked against the
// module (missing or unexpected names throw, naming file and tensor) before any value is copied.
// The file's metadata: load_safetensors(path).metadata.
void load_module(const std::filesystem::path& path, Module& m);

// --- training checkpoints: model + optimizer state ---
// "<dir>/model.safetensors" -> "<dir>/model.optim.safetensors"
std::filesystem::path optimizer_state_path(const std::filesystem::path& model_path);
// Writes the optimizer state file, then the model file (each atomically); both carry `metadata`
// plus a fresh "wengert.checkpoint_id", so a model file never pairs with a stale optimizer file.
void save_checkpoint(const std::filesystem::path& model_path, const Module& m,
                     const Optimizer& optimizer, const Metadata& metadata = {});
// Validates both files and the pairing before changing anything, then loads the optimizer state
// and the module. Returns the model file's metadata (training metadata such as the epoch).
Metadata load_checkpoint(const std::filesystem::path& model_path, Module& m, Optimizer& optimizer);

}  // namespace wengert::nn
