// Printing: values, shape and dtype in the text; long tensors elided with "..."; operator<<.
#include <catch2/catch.hpp>
#include <limits>
#include <sstream>

#include "reference.hpp"

using namespace wengert;
using Catch::Contains;

TEST_CASE("to_string of small tensors shows values, shape and dtype", "[tensor][print]") {
  const Tensor x = tensor({{1, 2, 3}, {4, 5, 6.5}});
  const std::string s = to_string(x);
  CHECK_THAT(s, Contains("shape=[2, 3]") && Contains("dtype=f32"));
  CHECK_THAT(s, Contains("1.0000") && Contains("2.0000") && Contains("6.5000"));
  CHECK_THAT(s, !Contains("..."));
  CHECK(s.find("1.0000") < s.find("4.0000"));  // row-major order
  CHECK_THAT(to_string(x.t()), Contains("shape=[3, 2]"));
  const std::string t = to_string(x.t());
  CHECK(t.find("4.0000") < t.find("2.0000"));  // the transpose prints in its own order

  CHECK_THAT(to_string(tensor({1, -2}, DType::i64)), Contains("-2") && Contains("dtype=i64"));
  CHECK_THAT(to_string(tensor({1, -2}, DType::i64)), !Contains("."));
  // i64 values print exactly, also beyond 2^53 (they used to go through a double).
  const Tensor extremes = from_vector(std::vector<std::int64_t>{
      std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min(),
      (std::int64_t{1} << 53) + 1});
  CHECK_THAT(to_string(extremes), Contains("9223372036854775807") &&
                                      Contains("-9223372036854775808") &&
                                      Contains("9007199254740993"));
  CHECK_THAT(to_string(extremes.narrow(0, 1, 2)),
             Contains("-9223372036854775808") && !Contains("9223372036854775807"));
  CHECK_THAT(to_string(tensor({0.125}, DType::f64)), Contains("0.1250") && Contains("dtype=f64"));
  CHECK_THAT(to_string(scalar(3.0)), Contains("3.0000") && Contains("shape=[]"));
  CHECK_THAT(to_string(zeros({0, 3})), Contains("shape=[0, 3]"));
  CHECK_THAT(to_string(Tensor()), Contains("undefined"));
  PrintOptions opt;
  opt.precision = 2;
  CHECK_THAT(to_string(tensor({1.2345}), opt), Contains("1.23") && !Contains("1.234"));

  std::ostringstream out;
  out << x;
  CHECK(out.str() == s);
}

TEST_CASE("to_string of big tensors elides the middle", "[tensor][print]") {
  const Tensor big = arange(0.0, 5000.0, 1.0, DType::i64);
  const std::string s = to_string(big);
  CHECK_THAT(s, Contains("...") && Contains("shape=[5000]") && Contains("dtype=i64"));
  CHECK_THAT(s, Contains("0, 1, 2") && Contains("4997, 4998, 4999"));
  CHECK_THAT(s, !Contains("2500"));
  CHECK(s.size() < 200);

  const Tensor m = zeros({100, 100}, DType::f64);
  const std::string sm = to_string(m);
  CHECK_THAT(sm, Contains("...") && Contains("shape=[100, 100]"));
  CHECK(sm.size() < 2000);

  PrintOptions opt;
  opt.threshold = 10;
  opt.edge_items = 2;
  const std::string se = to_string(arange(std::int64_t{20}), opt);
  CHECK_THAT(se, Contains("0, 1") && Contains("...") && Contains("18, 19") && !Contains(" 2,"));
  // At or below the threshold nothing is elided.
  CHECK_THAT(to_string(arange(std::int64_t{10}), opt), !Contains("..."));
}
