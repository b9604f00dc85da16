// Every error path throws wengert::Error whose message names the op and the offending shapes
// (or axis / index / dtype): shapes that do not broadcast, bad axes, dtype mismatches,
// out-of-range indices, matmul inner dimensions, non-viewable strides, wrong numel, ...
#include <catch2/catch.hpp>
#include <limits>

#include "reference.hpp"

using namespace wengert;
using Catch::Contains;

// Throws exactly wengert::Error, and its what() matches.
#define CHECK_ERROR(expr, matcher)    \
  do {                                \
    CHECK_THROWS_AS(expr, Error);     \
    CHECK_THROWS_WITH(expr, matcher); \
  } while (false)

namespace {
Tensor f32(const Shape& s) { return zeros(s, DType::f32); }
}  // namespace

TEST_CASE("errors: shapes that do not broadcast", "[tensor][errors]") {
  const Tensor a = f32({2, 3}), b = f32({4});
  CHECK_ERROR(add(a, b), Contains("add") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_ERROR(sub(a, b), Contains("sub") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_ERROR(mul(a, b), Contains("mul") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_ERROR(div(a, b), Contains("div") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_ERROR(pow(a, b), Contains("pow") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_ERROR(maximum(a, b), Contains("maximum") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_ERROR(minimum(a, b), Contains("minimum") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_ERROR(eq(a, b), Contains("eq") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_ERROR(lt(a, b), Contains("lt") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_ERROR(ge(a, b), Contains("ge") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_ERROR(a + b, Contains("add") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_ERROR(where(f32({2, 3}), a, b), Contains("where") && Contains("[4]"));
  // (In-place ops may report under the name of their out-of-place twin: "add" covers "add_".)
  CHECK_ERROR(f32({3, 1}).expand({3, 4}).add_(f32({2})), Contains("add") && Contains("[2]"));
  // In place, the result must keep this tensor's shape.
  Tensor small = f32({3});
  CHECK_ERROR(small.add_(f32({2, 3})), Contains("add_") && Contains("[3]") && Contains("[2, 3]"));
  CHECK_ERROR(small.mul_(f32({4})), Contains("mul") && Contains("[3]") && Contains("[4]"));
  CHECK_ERROR(small.copy_(f32({2})), Contains("copy_") && Contains("[3]") && Contains("[2]"));
  CHECK_ERROR(f32({2, 3}).expand({3, 3}),
              Contains("expand") && Contains("[2, 3]") && Contains("[3, 3]"));
  CHECK_ERROR(sum_to(f32({2, 3}), {4}),
              Contains("sum_to") && Contains("[2, 3]") && Contains("[4]"));
}

TEST_CASE("errors: dtype mismatches and floating-only ops", "[tensor][errors]") {
  const Tensor a = f32({2}), d = zeros({2}, DType::f64), i = zeros({2}, DType::i64);
  CHECK_ERROR(add(a, d), Contains("add") && Contains("f32") && Contains("f64"));
  CHECK_ERROR(mul(d, i), Contains("mul") && Contains("f64") && Contains("i64"));
  CHECK_ERROR(where(a, a, d), Contains("where") && Contains("f64"));
  CHECK_ERROR(matmul(f32({2, 2}), zeros({2, 2}, DType::f64)),
              Contains("matmul") && Contains("f32") && Contains("f64"));
  Tensor out = f32({2, 2});
  CHECK_ERROR(matmul_into(out, zeros({2, 2}, DType::f64), zeros({2, 2}, DType::f64)),
              Contains("matmul_into") && Contains("f32"));
  CHECK_ERROR(concat({a, d}), Contains("concat") && Contains("f64"));
  CHECK_ERROR(stack({a, d}), Contains("stack") && Contains("f64"));
  Tensor x = f32({2});
  CHECK_ERROR(x.add_(d), Contains("add") && Contains("f64"));
  CHECK_ERROR(x.add_scaled_(d, 1.0), Contains("add_scaled_") && Contains("f64"));
  CHECK_ERROR(a.data<double>(), Contains("data") && Contains("f32"));
  CHECK_ERROR(exp(i), Contains("exp") && Contains("i64"));
  CHECK_ERROR(log(i), Contains("log") && Contains("i64"));
  CHECK_ERROR(tanh(i), Contains("tanh") && Contains("i64"));
  CHECK_ERROR(sigmoid(i), Contains("sigmoid") && Contains("i64"));
  CHECK_ERROR(softmax(i), Contains("softmax") && Contains("i64"));
  CHECK_ERROR(logsumexp(i), Contains("logsumexp") && Contains("i64"));
  Generator gen(1);
  CHECK_ERROR(uniform({2}, 0, 1, gen, DType::i64), Contains("uniform") && Contains("i64"));
  CHECK_ERROR(normal({2}, 0, 1, gen, DType::i64), Contains("normal") && Contains("i64"));
  // Index tensors must be i64.
  CHECK_ERROR(index_select(f32({3, 2}), 0, f32({2})), Contains("index_select") && Contains("f32"));
  CHECK_ERROR(gather(f32({3, 2}), 0, f32({3, 2})), Contains("gather") && Contains("f32"));
  CHECK_ERROR(one_hot(f32({3}), 4), Contains("one_hot") && Contains("f32"));
}

TEST_CASE("errors: bad axes", "[tensor][errors]") {
  const Tensor x = f32({2, 3});
  CHECK_ERROR(sum(x, {2}), Contains("sum") && Contains("axis 2"));
  CHECK_ERROR(sum(x, {-3}), Contains("sum") && Contains("-3"));
  CHECK_ERROR(mean(x, {5}), Contains("mean") && Contains("5"));
  CHECK_ERROR(max(x, {0, 0}), Contains("max"));
  CHECK_ERROR(min(x, {1, -1}), Contains("min"));
  CHECK_ERROR(argmax(x, 2), Contains("argmax") && Contains("2"));
  CHECK_ERROR(argmin(x, -3), Contains("argmin") && Contains("-3"));
  CHECK_ERROR(logsumexp(x, {7}), Contains("logsumexp") && Contains("7"));
  CHECK_ERROR(softmax(x, 2), Contains("softmax") && Contains("2"));
  CHECK_ERROR(log_softmax(x, -3), Contains("log_softmax") && Contains("-3"));
  CHECK_ERROR(x.transpose(0, 2), Contains("transpose") && Contains("2"));
  CHECK_ERROR(x.permute({0}), Contains("permute"));
  CHECK_ERROR(x.permute({0, 0}), Contains("permute"));
  CHECK_ERROR(x.permute({0, 2}), Contains("permute"));
  CHECK_ERROR(f32({2, 3, 4}).t(), Contains("t") && Contains("[2, 3, 4]"));
  CHECK_ERROR(x.slice(2, 0, 1), Contains("slice") && Contains("2"));
  CHECK_ERROR(x.narrow(-3, 0, 1), Contains("narrow"));
  CHECK_ERROR(x.select(2, 0), Contains("select") && Contains("2"));
  CHECK_ERROR(x.squeeze(3), Contains("squeeze") && Contains("3"));
  CHECK_ERROR(x.unsqueeze(3), Contains("unsqueeze") && Contains("3"));
  CHECK_ERROR(x.unsqueeze(-4), Contains("unsqueeze") && Contains("-4"));
  CHECK_ERROR(x.size(2), Contains("size"));
  CHECK_ERROR(scalar(1.0).size(0), Contains("size"));
  CHECK_ERROR(concat({x, x}, 2), Contains("concat") && Contains("2"));
  CHECK_ERROR(stack({x, x}, 3), Contains("stack") && Contains("3"));
  CHECK_ERROR(index_select(x, 2, zeros({1}, DType::i64)),
              Contains("index_select") && Contains("2"));
  CHECK_ERROR(gather(x, 2, zeros({2, 3}, DType::i64)), Contains("gather") && Contains("2"));
  CHECK_ERROR(split(x, 1, 2), Contains("split") && Contains("2"));
  CHECK_ERROR(chunk(x, 2, -3), Contains("chunk") && Contains("-3"));
}

TEST_CASE("errors: out-of-range indices", "[tensor][errors]") {
  const Tensor x = f32({3, 2});
  const Tensor idx = from_vector(std::vector<std::int64_t>{0, 3});
  CHECK_ERROR(index_select(x, 0, idx),
              Contains("index_select") && Contains("3") && Contains("[3, 2]"));
  // Negative indices count from the end (-3 is row 0 here); below -extent they are out of range.
  CHECK_ERROR(index_select(x, 0, from_vector(std::vector<std::int64_t>{-4})),
              Contains("index_select") && Contains("-4") && Contains("[3, 2]"));
  CHECK_ERROR(index_add({3, 2}, 0, idx, f32({2, 2})), Contains("index_add") && Contains("3"));
  const Tensor gidx = from_vector(std::vector<std::int64_t>{0, 1, 2, 0}, {2, 2});
  CHECK_ERROR(gather(f32({2, 2}), 1, gidx), Contains("gather") && Contains("2"));
  CHECK_ERROR(scatter_add({2, 2}, 1, gidx, f32({2, 2})), Contains("scatter_add") && Contains("2"));
  CHECK_ERROR(gather(f32({2, 2}), 1, zeros({2}, DType::i64)), Contains("gather"));  // rank differs
  CHECK_ERROR(gather(f32({2, 2}), 1, zeros({3, 1}, DType::i64)),
              Contains("gather") && Contains("[3, 1]"));
  CHECK_ERROR(one_hot(from_vector(std::vector<std::int64_t>{1, 4}), 4),
              Contains("one_hot") && Contains("4"));
  CHECK_ERROR(one_hot(from_vector(std::vector<std::int64_t>{-1}), 4),
              Contains("one_hot") && Contains("-1"));
  CHECK_ERROR(x.select(0, 3), Contains("select") && Contains("3") && Contains("[3, 2]"));
  CHECK_ERROR(x.select(1, -3), Contains("select") && Contains("-3") && Contains("[3, 2]"));
  CHECK_ERROR(x.narrow(0, 2, 2), Contains("narrow") && Contains("[3, 2]"));
  CHECK_ERROR(x.narrow(0, -1, 1), Contains("narrow"));
  // Bounds whose sum would overflow int64 (once undefined behaviour) are plain range errors.
  constexpr std::int64_t kHuge = std::numeric_limits<std::int64_t>::max();
  CHECK_ERROR(x.narrow(0, kHuge, 2), Contains("narrow") && Contains("[3, 2]"));
  CHECK_ERROR(x.narrow(0, 1, kHuge), Contains("narrow") && Contains("[3, 2]"));
  // A step of 2^63 - 1 takes the first element of the range only (no overflow in its count).
  const Tensor counted = ref::make({3, 2}, {0, 1, 2, 3, 4, 5}, DType::f32);
  CHECK(counted.slice(0, 1, 3, kHuge).to_vector<float>() == std::vector<float>{2, 3});
  CHECK(counted.slice(1, 0, kHuge, kHuge).to_vector<float>() == std::vector<float>{0, 2, 4});
  CHECK_ERROR(x.slice(0, 0, 3, 0), Contains("slice") && Contains("step"));
  CHECK_ERROR(x.slice(0, 0, 3, -1), Contains("slice") && Contains("step"));
  CHECK_ERROR(x.at({3, 0}), Contains("at") && Contains("3"));
  CHECK_ERROR(x.item(), Contains("item") && Contains("[3, 2]"));
}

TEST_CASE("errors: matmul", "[tensor][errors]") {
  CHECK_THROWS_AS(matmul(f32({32, 256}), f32({128, 28})), Error);
  CHECK_THROWS_WITH(matmul(f32({32, 256}), f32({128, 28})),
                    "matmul: inner dimensions differ: [32, 256] @ [128, 28]");
  CHECK_ERROR(matmul(f32({5}), f32({4})), Contains("matmul") && Contains("[5] @ [4]"));
  CHECK_ERROR(matmul(f32({2, 5}), f32({4})), Contains("matmul") && Contains("[2, 5] @ [4]"));
  CHECK_ERROR(matmul(f32({5}), f32({4, 3})), Contains("matmul") && Contains("[5] @ [4, 3]"));
  CHECK_ERROR(matmul(f32({2, 3, 4}), f32({3, 5, 6})),
              Contains("matmul") && Contains("[2, 3, 4] @ [3, 5, 6]"));
  // Batch axes that do not broadcast.
  CHECK_ERROR(matmul(f32({2, 3, 4}), f32({3, 4, 5})),
              Contains("matmul") && Contains("[2, 3, 4]") && Contains("[3, 4, 5]"));
  CHECK_ERROR(matmul(scalar(1.0), f32({2})), Contains("matmul") && Contains("[]"));
  Tensor out = f32({3, 3});
  CHECK_ERROR(matmul_into(out, f32({3, 4}), f32({5, 3})),
              Contains("matmul") && Contains("[3, 4] @ [5, 3]"));
  CHECK_ERROR(matmul_into(out, f32({3, 4}), f32({4, 2})),
              Contains("matmul_into") && Contains("[3, 3]"));
  CHECK_ERROR(matmul_into(out, f32({2, 3, 4}), f32({4, 3})),
              Contains("matmul_into") && Contains("[2, 3, 4]"));
}

TEST_CASE("errors: view, reshape, creation, joining", "[tensor][errors]") {
  const Tensor x = f32({2, 3});
  CHECK_ERROR(x.t().view({6}), Contains("view") && Contains("[3, 2]") && Contains("[6]"));
  CHECK_ERROR(x.slice(1, 0, 3, 2).view({4}),
              Contains("view") && Contains("[2, 2]") && Contains("[4]"));
  CHECK_ERROR(x.view({4}), Contains("view") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_ERROR(x.reshape({4}), Contains("reshape") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_ERROR(x.reshape({4, -1}), Contains("reshape") && Contains("[2, 3]") && Contains("[4, -1]"));
  CHECK_ERROR(x.reshape({-1, -1}), Contains("reshape") && Contains("-1"));
  CHECK_ERROR(x.t().reshape({7}), Contains("reshape") && Contains("[3, 2]") && Contains("[7]"));
  CHECK_ERROR(from_vector(std::vector<float>{1, 2, 3}, {2, 2}),
              Contains("from_vector") && Contains("[2, 2]"));
  CHECK_ERROR(zeros({2, -1}), Contains("[2, -1]"));
  CHECK_ERROR(arange(0.0, 1.0, 0.0), Contains("arange"));
  CHECK_ERROR(eye(-1), Contains("eye"));
  CHECK_ERROR(tensor({{1, 2}, {3}}), Contains("tensor"));
  Generator gen(1);
  CHECK_ERROR(gen.below(0), Contains("below"));
  // A negative extent where expand keeps an axis (it used to make a tensor of shape [-2]).
  CHECK_ERROR(f32({1}).expand({-2}), Contains("expand") && Contains("[-2]"));
  CHECK_ERROR(f32({1, 1}).expand({3, -5}), Contains("expand") && Contains("[3, -5]"));
  // Draws whose parameters describe no distribution (they used to give values silently).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_ERROR(uniform({3}, 1.0, 0.0, gen), Contains("uniform") && Contains("lo <= hi"));
  CHECK_ERROR(uniform({3}, 0.0, nan, gen), Contains("uniform"));
  CHECK_ERROR(uniform({3}, -1e308, 1e308, gen), Contains("uniform"));
  CHECK_ERROR(normal({3}, 0.0, -1.0, gen), Contains("normal") && Contains("stddev -1"));
  CHECK_ERROR(normal({3}, 0.0, nan, gen), Contains("normal"));
  CHECK_ERROR(normal({3}, inf, 1.0, gen), Contains("normal"));
  CHECK(uniform({2}, 2.5, 2.5, gen).to_vector<float>() == std::vector<float>{2.5f, 2.5f});
  CHECK(normal({2}, 4.0, 0.0, gen).to_vector<float>() == std::vector<float>{4.0f, 4.0f});
  CHECK_ERROR(concat({x, f32({2, 4})}, 0),
              Contains("concat") && Contains("[2, 3]") && Contains("[2, 4]"));
  CHECK_ERROR(concat({x, f32({2})}, 0), Contains("concat") && Contains("[2]"));
  CHECK_ERROR(concat({}, 0), Contains("concat"));
  CHECK_ERROR(stack({x, f32({3, 2})}),
              Contains("stack") && Contains("[2, 3]") && Contains("[3, 2]"));
  CHECK_ERROR(stack({}), Contains("stack"));
  CHECK_ERROR(split(x, std::vector<std::int64_t>{1, 1}, 1),
              Contains("split") && Contains("[2, 3]"));
  CHECK_ERROR(split(x, 0, 1), Contains("split"));
  CHECK_ERROR(chunk(x, 0, 1), Contains("chunk"));
  CHECK_ERROR(index_add({3, 2}, 0, from_vector(std::vector<std::int64_t>{0, 1}), f32({3, 2})),
              Contains("index_add") && Contains("[3, 2]"));
  CHECK_ERROR(scatter_add({2, 2}, 1, zeros({2, 2}, DType::i64), f32({2, 3})),
              Contains("scatter_add") && Contains("[2, 3]"));
}

TEST_CASE("errors: undefined tensors throw instead of crashing", "[tensor][errors]") {
  const Tensor u, x = f32({2});
  CHECK_THROWS_AS(add(u, x), Error);
  CHECK_THROWS_AS(exp(u), Error);
  CHECK_THROWS_AS(sum(u), Error);
  CHECK_THROWS_AS(matmul(u, x), Error);
  CHECK_THROWS_AS(u.contiguous(), Error);
  CHECK_THROWS_AS(u.item(), Error);
  CHECK_THROWS_AS(u.data<float>(), Error);
  CHECK(to_string(u) == "tensor(undefined)");
}

// Issue 14: size arithmetic that overflows int64 is an error, never a too-small buffer.
TEST_CASE("errors: sizes that overflow int64 or exceed memory", "[tensor][errors]") {
  constexpr std::int64_t k2_62 = std::int64_t{1} << 62;
  CHECK_ERROR(numel_of({k2_62, 4}), Contains("numel") && Contains("too large"));
  CHECK_ERROR(zeros({k2_62, 2}, DType::f32), Contains("too large"));
  // 2^62 elements fit in int64 but their 4-byte size does not.
  CHECK_ERROR(zeros({k2_62}, DType::f32), Contains("empty") && Contains("too large"));
  // Fits in int64 but not in any memory: a clear error instead of std::bad_alloc.
  CHECK_ERROR(zeros({std::int64_t{1} << 59}, DType::f64), Contains("cannot allocate"));
  // A 0-element shape whose strides overflow: [0, 2^62, 2^62] needs stride 2^124 on axis 0.
  CHECK_ERROR(contiguous_strides({0, k2_62, k2_62}), Contains("contiguous_strides"));
  CHECK(contiguous_strides({0, k2_62, 1}) == Strides{k2_62, 1, 1});
  CHECK_ERROR(zeros({4, 4}).reshape({k2_62, k2_62, 0}), Contains("reshape"));
  CHECK(checked_size_mul("t", {}, 3, 5) == 15);
  CHECK_ERROR(checked_size_mul("t", {}, std::int64_t{1} << 32, std::int64_t{1} << 31),
              Contains("overflows int64"));
}
