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

inline constexpr EnumName<DType> kSafetensorsDTypes[] = {
    {DType::f32, "F32"}, {DType::f64, "F64"}, {DType::i64, "I64"}};

inline std::string_view safetensors_dtype(DType d) { return enum_name(kSafetensorsDTypes, d); }
inline std::optional<DType> parse_safetensors_dtype(std::string_view s) {
  return find_enum(kSafetensorsDTypes, s);
}

// First byte of a contiguous tensor's elements.
inline std::byte* raw_bytes(const Tensor& t) {
  return static_cast<std::byte*>(t.storage()->data()) +
         t.offset() * static_cast<std::int64_t>(dtype_size(t.dtype()));
}

}  // namespace wengert::nn::detail
