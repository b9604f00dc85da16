// Element types a tensor can hold, and the one place that turns a run-time dtype into a C++ type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

#include "enum_names.hpp"
#include "error.hpp"

namespace wengert {

enum class DType : std::uint8_t { f32, f64, i64 };

inline constexpr EnumName<DType> kDTypeNames[] = {
    {DType::f32, "f32"}, {DType::f64, "f64"}, {DType::i64, "i64"}};
constexpr std::string_view dtype_name(DType d) { return enum_name(kDTypeNames, d); }
inline std::ostream& operator<<(std::ostream& out, DType d) { return out << dtype_name(d); }

constexpr std::size_t dtype_size(DType d) { return d == DType::f32 ? 4 : 8; }
constexpr bool is_floating(DType d) { return d != DType::i64; }

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::f32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::f64;
}
template <>
constexpr DType dtype_of<std::int64_t>() {
  return DType::i64;
}

// Calls fn.template operator()<T>() with T the C++ type of `d`:
//   visit_dtype(d, [&]<class T>() { ... T ... });
template <class F>
decltype(auto) visit_dtype(DType d, F&& fn) {
  switch (d) {
    case DType::f32:
      return fn.template operator()<float>();
    case DType::f64:
      return fn.template operator()<double>();
    case DType::i64:
      return fn.template operator()<std::int64_t>();
  }
  fail("visit_dtype: invalid dtype");
}

// Same, for operations that exist only for floating types (exp, softmax, ...).
template <class F>
decltype(auto) visit_floating(std::string_view op, DType d, F&& fn) {
  switch (d) {
    case DType::f32:
      return fn.template operator()<float>();
    case DType::f64:
      return fn.template operator()<double>();
    default:
      break;
  }
  fail(op, ": needs a floating dtype (f32 or f64), got ", dtype_name(d));
}

}  // namespace wengert
