// i64 arithmetic and conversions to i64 at the edges of int64's range: every result that exists
// is exact (hand-computed values, or plain loops in __int128), and every one that does not (an
// overflow, a division by zero, NaN or an infinity turned into an integer) is an error naming
// the op, never undefined behaviour or a wrapped value. A fault found on an OpenMP thread used
// to end the process (an exception cannot leave a parallel region).
#include <omp.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <vector>

#include "wengert/tensor.hpp"

using namespace wengert;
using Catch::Contains;

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

Tensor i64(std::vector<std::int64_t> values) { return from_vector(std::move(values)); }

std::vector<std::int64_t> values(const Tensor& t) { return t.to_vector<std::int64_t>(); }

// a^b by repeated multiplication in 128 bits (small cases only).
__int128 naive_power(std::int64_t a, std::int64_t b) {
  __int128 result = 1;
  for (std::int64_t i = 0; i < b; ++i) result *= a;
  return result;
}

}  // namespace

TEST_CASE("i64 add, sub and mul: exact up to the range's ends, an error beyond") {
  CHECK(values(add(i64({kMax - 1, kMin + 1}), i64({1, -1}))) == std::vector{kMax, kMin});
  CHECK(values(sub(i64({kMin + 1}), i64({1}))) == std::vector{kMin});
  CHECK(values(mul(i64({std::int64_t{1} << 31}), i64({std::int64_t{1} << 31}))) ==
        std::vector{std::int64_t{1} << 62});
  CHECK_THROWS_WITH(add(i64({kMax, 0}), i64({1, 0})),
                    Contains("add: i64 [2] and [2]") && Contains("outside int64's range"));
  CHECK_THROWS_WITH(sub(i64({kMin}), i64({1})), Contains("sub:"));
  CHECK_THROWS_WITH(mul(i64({std::int64_t{1} << 32}), i64({std::int64_t{1} << 31})),
                    Contains("mul:"));
}

TEST_CASE("i64 div: truncates toward zero; zero divisors and -2^63 / -1 are errors") {
  CHECK(values(div(i64({7, -7, 7, -7}), i64({2, 2, -2, -2}))) ==
        std::vector<std::int64_t>{3, -3, -3, 3});
  CHECK(values(div(i64({kMin}), i64({1}))) == std::vector{kMin});
  CHECK_THROWS_WITH(div(i64({kMin}), i64({-1})), Contains("div:") && Contains("range"));
  CHECK_THROWS_WITH(div(i64({1}), i64({0})), Contains("div:") && Contains("division by zero"));
  // Large enough for the loop to run on several threads (it used to terminate the process).
  const int threads = omp_get_max_threads();
  omp_set_num_threads(2);
  const std::int64_t n = std::int64_t{1} << 16;
  CHECK_THROWS_WITH(div(full({n}, 7.0, DType::i64), zeros({n}, DType::i64)),
                    Contains("division by zero"));
  omp_set_num_threads(threads);
}

TEST_CASE("i64 pow: exact against repeated multiplication, overflow and negative exponents fail") {
  for (std::int64_t a = -6; a <= 6; ++a)
    for (std::int64_t b = 0; b <= 12; ++b) {
      CAPTURE(a, b);
      CHECK(values(pow(i64({a}), i64({b})))[0] == static_cast<std::int64_t>(naive_power(a, b)));
    }
  // 3^39 = 4052555153018976267 fits, 3^40 does not; (-2)^63 = -2^63 fits, 2^63 does not.
  CHECK(values(pow(i64({3}), i64({39})))[0] == static_cast<std::int64_t>(naive_power(3, 39)));
  CHECK_THROWS_WITH(pow(i64({3}), i64({40})), Contains("pow:") && Contains("range"));
  CHECK(values(pow(i64({-2}), i64({63})))[0] == kMin);
  CHECK_THROWS_WITH(pow(i64({2}), i64({63})), Contains("range"));
  // Huge exponents of 0, 1 and -1 are quick (by squaring, not a loop of 10^18 steps).
  CHECK(values(pow(i64({1, -1, -1, 0}), i64({1000000000000000000, 1000000000000000000,
                                             1000000000000000001, 1000000000000000000}))) ==
        std::vector<std::int64_t>{1, 1, -1, 0});
  CHECK_THROWS_WITH(pow(i64({2}), i64({-1})), Contains("pow:") && Contains("negative exponent"));
}

TEST_CASE("i64 neg and abs of -2^63 are errors; relu is not") {
  CHECK(values(neg(i64({kMax, -kMax}))) == std::vector{-kMax, kMax});
  CHECK_THROWS_WITH(neg(i64({0, kMin})), Contains("neg:") && Contains("-2^63"));
  CHECK_THROWS_WITH(abs(i64({kMin})), Contains("abs:"));
  CHECK(values(relu(i64({kMin, 3}))) == std::vector<std::int64_t>{0, 3});
}

TEST_CASE("i64 sum and cumsum: exact whenever the result fits, an error when it does not") {
  // Partial sums leave int64's range, the total does not.
  CHECK(values(sum(i64({kMax, kMax, -kMax, -kMax, 5}))) == std::vector<std::int64_t>{5});
  // Along an axis: kMax + 1 leaves the range before kMin brings it back.
  CHECK(values(sum(i64({kMax, kMax, 1, 2, kMin, kMin}).view({3, 2}), {0})) ==
        std::vector<std::int64_t>{0, 1});
  CHECK_THROWS_WITH(sum(i64({kMax, 1})), Contains("sum:") && Contains("outside int64's range"));
  CHECK(values(cumsum(i64({kMax, -1, 1}), 0)) == std::vector{kMax, kMax - 1, kMax});
  CHECK_THROWS_WITH(cumsum(i64({kMax, 1, -1}), 0), Contains("cumsum:"));
}

TEST_CASE("floating values become i64 only when finite and in range, truncated toward zero") {
  CHECK(
      values(from_vector(std::vector<double>{2.9, -2.9, -9223372036854775808.0}).to(DType::i64)) ==
      std::vector<std::int64_t>{2, -2, kMin});
  for (double bad : {std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity(), 9223372036854775808.0, -1e19}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH(from_vector(std::vector<double>{0.0, bad}).to(DType::i64),
                      Contains("does not fit i64"));
    CHECK_THROWS_WITH(full({2}, bad, DType::i64), Contains("fill_:"));
  }
  CHECK_THROWS_WITH(from_vector(std::vector<float>{1.5f, std::numeric_limits<float>::quiet_NaN()})
                        .to_vector<std::int64_t>(),
                    Contains("to_vector: the f32 value nan at 1 does not fit int64"));
  CHECK(from_vector(std::vector<float>{1.5f, -2.5f}).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{1, -2});
  // f32 too, through a transposed view.
  Tensor f =
      from_vector(std::vector<float>{1, 2, std::numeric_limits<float>::infinity(), 4}, {2, 2});
  CHECK_THROWS_WITH(zeros({2, 2}, DType::i64).copy_(f.t()), Contains("copy_: the f32 value inf"));
}

TEST_CASE("arange and clamp at the edges of i64") {
  CHECK_THROWS_WITH(arange(0.0, std::numeric_limits<double>::infinity()), Contains("finite"));
  CHECK_THROWS_WITH(arange(0.0, 1e300), Contains("too many elements"));
  CHECK(arange(1e300, 0.0).numel() == 0);
  CHECK_THROWS_WITH(arange(9.3e18, 9.3e18 + 4096, 2048, DType::i64), Contains("range of i64"));
  CHECK(values(arange(-3.0, 3.0, 2.0, DType::i64)) == std::vector<std::int64_t>{-3, -1, 1});
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(values(clamp(i64({kMin, -1, 0, kMax}), 0.0, inf)) ==
        std::vector<std::int64_t>{0, 0, 0, kMax});
  CHECK(values(clamp(i64({kMin, 7}), -inf, 5.0)) == std::vector<std::int64_t>{kMin, 5});
}
