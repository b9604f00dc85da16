// Private helpers shared by the safetensors reader and writer: the dtype names of the format and
// the raw bytes of a contiguous tensor. The format is little-endian; so is every supported host.
#pragma once

#include <bit>
#include <cstddef>
#include <optional>
#include <string_view>
#include <wengert/tensor.hpp>

namespace wengert::nn::detail {

static_assert(std::endian::native == std::endian::little,
              "safetensors I/O copies raw bytes: a little-endian host is assumed");

inline std::string_view safetensors_dtype(DType d) {
  switch (d) {
    case DType::f32:
      return "F32";
    case DType::f64:
      return "F64";
    case DType::i64:
      return "I64";
  }
  return "?";
}

inline std::optional<DType> parse_safetensors_dtype(std::string_view s) {
  if (s == "F32") return DType::f32;
  if (s == "F64") return DType::f64;
  if (s == "I64") return DType::i64;
  return std::nullopt;
}

// First byte of a contiguous tensor's elements.
inline std::byte* raw_bytes(const Tensor& t) {
  return static_cast<std::byte*>(t.storage()->data()) +
         t.offset() * static_cast<std::int64_t>(dtype_size(t.dtype()));
}

}  // namespace wengert::nn::detail
