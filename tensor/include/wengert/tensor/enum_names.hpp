// Enum <-> name conversions read from one table per enum, so that a value's name is written once:
//   constexpr EnumName<Partition> kPartitionNames[] = {{Partition::random, "random"},
//                                                      {Partition::sequential, "sequential"}};
//   enum_name(kPartitionNames, Partition::random)              -> "random"
//   parse_enum(kPartitionNames, "sequential", "--partition")   -> Partition::sequential
//   parse_enum(kPartitionNames, "rand", "--partition")  throws
//       "--partition: expected random or sequential, got 'rand'"
// A value may have several names (aliases): enum_name gives the first one in the table.
#pragma once

#include <cstddef>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "error.hpp"

namespace wengert {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

// The first name of `value` in the table; "?" for a value the table lacks (an invalid enum).
template <class E, std::size_t N>
constexpr std::string_view enum_name(const EnumName<E> (&table)[N], E value) {
  // A table listing the values in their declaration order answers by index, in O(1).
  const auto index = static_cast<std::size_t>(value);
  if (index < N && table[index].value == value) return table[index].name;
  for (const EnumName<E>& entry : table)
    if (entry.value == value) return entry.name;
  return "?";
}

// The value named `name`, or nothing.
template <class E, std::size_t N>
constexpr std::optional<E> find_enum(const EnumName<E> (&table)[N], std::string_view name) {
  for (const EnumName<E>& entry : table)
    if (entry.name == name) return entry.value;
  return std::nullopt;
}

// "a, b or c": every name of the table, for error messages.
template <class E, std::size_t N>
std::string enum_names_list(const EnumName<E> (&table)[N]) {
  std::ostringstream out;
  for (std::size_t i = 0; i < N; ++i)
    out << (i == 0 ? "" : i + 1 == N ? " or " : ", ") << table[i].name;
  return out.str();
}

// The value named `name`; throws "<what>: expected a, b or c, got '<name>'" for any other name.
template <class E, std::size_t N>
E parse_enum(const EnumName<E> (&table)[N], std::string_view name, std::string_view what) {
  if (const std::optional<E> value = find_enum(table, name)) return *value;
  fail(what, ": expected ", enum_names_list(table), ", got '", name, "'");
}

}  // namespace wengert
