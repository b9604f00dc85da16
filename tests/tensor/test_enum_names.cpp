// enum_name / find_enum / parse_enum: the table-driven enum <-> name conversions every layer uses
// (dtype names, CLI options, config.json fields), on a table with an alias and one out of order.
#include <catch2/catch.hpp>
#include <string>

#include "wengert/tensor/dtype.hpp"
#include "wengert/tensor/enum_names.hpp"

using namespace wengert;

namespace {

enum class Fruit { apple, pear, plum, fig };

// pear has an alias; fig is listed before plum, so lookup by index must check before trusting.
constexpr EnumName<Fruit> kFruitNames[] = {{Fruit::apple, "apple"},
                                           {Fruit::pear, "pear"},
                                           {Fruit::pear, "poire"},
                                           {Fruit::fig, "fig"},
                                           {Fruit::plum, "plum"}};

}  // namespace

TEST_CASE("enum_name gives each value's first name, from any table order", "[tensor][enum]") {
  CHECK(enum_name(kFruitNames, Fruit::apple) == "apple");
  CHECK(enum_name(kFruitNames, Fruit::pear) == "pear");
  CHECK(enum_name(kFruitNames, Fruit::plum) == "plum");
  CHECK(enum_name(kFruitNames, Fruit::fig) == "fig");
  CHECK(enum_name(kFruitNames, static_cast<Fruit>(17)) == "?");
  static_assert(dtype_name(DType::f64) == "f64");
  CHECK(dtype_name(DType::i64) == "i64");
}

TEST_CASE("parse_enum reads every name, aliases included, and names the choices on error",
          "[tensor][enum]") {
  for (const EnumName<Fruit>& entry : kFruitNames) {
    CHECK(parse_enum(kFruitNames, entry.name, "--fruit") == entry.value);
    CHECK(find_enum(kFruitNames, entry.name) == entry.value);
  }
  CHECK(parse_enum(kFruitNames, "poire", "--fruit") == Fruit::pear);
  CHECK_FALSE(find_enum(kFruitNames, "Apple").has_value());
  CHECK_FALSE(find_enum(kFruitNames, "").has_value());
  CHECK_THROWS_WITH(parse_enum(kFruitNames, "kiwi", "--fruit"),
                    "--fruit: expected apple, pear, poire, fig or plum, got 'kiwi'");
  CHECK(enum_names_list(kFruitNames) == "apple, pear, poire, fig or plum");
}
