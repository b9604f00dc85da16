// The safetensors reader (nn::load_safetensors) on arbitrary bytes. A file it accepts is written
// back with save_safetensors and must load again to the same names, dtypes, shapes, bytes and
// metadata.
#include <cstring>
#include <wengert/nn/checkpoint.hpp>

#include "fuzz_support.hpp"

using namespace wengert;

namespace {

// The loader returns fresh contiguous tensors: their bytes start at their storage's first byte.
bool same_bytes(const Tensor& a, const Tensor& b) {
  const auto bytes = static_cast<std::size_t>(a.numel()) * dtype_size(a.dtype());
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.offset() == 0 && b.offset() == 0 &&
         (bytes == 0 || std::memcmp(a.storage()->data(), b.storage()->data(), bytes) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = fuzz::write_input("input.safetensors", fuzz::as_text(data, size));
  nn::SafetensorsFile loaded;
  if (!fuzz::accepted([&] { loaded = nn::load_safetensors(path); })) return 0;

  const auto copy = fuzz::scratch_dir() / "copy.safetensors";
  if (!fuzz::accepted([&] { nn::save_safetensors(copy, loaded.tensors, loaded.metadata); }))
    return 0;  // e.g. a tensor named "", which the reader takes and the writer refuses
  const nn::SafetensorsFile again = nn::load_safetensors(copy);
  fuzz::promise(again.metadata == loaded.metadata, "metadata survives save + load");
  fuzz::promise(again.tensors.size() == loaded.tensors.size(), "tensor count survives");
  for (std::size_t i = 0; i < again.tensors.size(); ++i) {
    fuzz::promise(again.tensors[i].first == loaded.tensors[i].first, "names and order survive");
    fuzz::promise(same_bytes(again.tensors[i].second, loaded.tensors[i].second),
                  "dtype, shape and bytes survive");
  }
  return 0;
}
