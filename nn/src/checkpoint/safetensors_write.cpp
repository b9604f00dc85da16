// save_safetensors: builds the JSON header with nlohmann-json, packs the tensors in order, and
// writes the file atomically with write_file_atomic (tensor/atomic_file.hpp).
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>
#include <wengert/tensor/atomic_file.hpp>

#include "format.hpp"
#include "wengert/nn/checkpoint.hpp"

namespace wengert::nn {

namespace {

namespace fs = std::filesystem;

// header length (8 bytes LE) | JSON padded with spaces to a multiple of 8 | data
std::vector<std::byte> encode(const fs::path& path, const NamedTensors& tensors,
                              const Metadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> packed;
  std::set<std::string> names;
  std::size_t offset = 0;
  for (const auto& [name, t] : tensors) {
    check(!name.empty() && name != "__metadata__", "save_safetensors: '", path.string(),
          "': invalid tensor name '", name, "'");
    check(names.insert(name).second, "save_safetensors: '", path.string(), "': tensor '", name,
          "' appears twice");
    check(t.defined(), "save_safetensors: '", path.string(), "': tensor '", name, "' is undefined");
    packed.push_back(t.contiguous());
    const std::size_t bytes = static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype());
    header[name] = {{"dtype", detail::safetensors_dtype(t.dtype())},
                    {"shape", t.shape()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  std::vector<std::byte> out(8 + text.size() + offset);
  const std::uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);  // little-endian host (format.hpp)
  std::memcpy(out.data() + 8, text.data(), text.size());
  std::byte* data = out.data() + 8 + text.size();
  for (const Tensor& t : packed) {
    const std::size_t bytes = static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype());
    if (bytes != 0) std::memcpy(data, detail::raw_bytes(t), bytes);
    data += bytes;
  }
  return out;
}

}  // namespace

void save_safetensors(const fs::path& path, const NamedTensors& tensors, const Metadata& metadata) {
  write_file_atomic(path, encode(path, tensors, metadata), "save_safetensors");
}

}  // namespace wengert::nn
