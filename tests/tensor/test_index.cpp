// Indexing and joining against loops written here: index_select / index_add, gather /
// scatter_add (with repeated indices), one_hot, concat, stack, split (by size and by sizes), chunk.
#include <catch2/catch.hpp>
#include <random>

#include "reference.hpp"

using namespace wengert;
using ref::Array;
using ref::Index;

namespace {

// i64 indices in [0, n), of the given shape, laid out per `layout`.
Tensor random_index(std::mt19937& rng, const Shape& shape, std::int64_t n, ref::Layout layout) {
  return ref::random_tensor(rng, shape, DType::i64, layout, 0, static_cast<double>(n - 1));
}

std::size_t at(std::int64_t i) { return static_cast<std::size_t>(i); }

}  // namespace

TEST_CASE("index_select and index_add", "[tensor][index]") {
  std::mt19937 rng(1);
  for (DType dt : {DType::f32, DType::f64, DType::i64})
    for (int iter = 0; iter < 40; ++iter) {
      const int rank = 1 + iter % 3;
      const Shape s = ref::random_shape(rng, rank);
      const auto axis = static_cast<std::int64_t>(rng() % static_cast<unsigned>(rank));
      const std::int64_t axis_arg = iter % 2 ? axis - rank : axis;
      const Shape ishape = ref::random_shape(rng, iter % 3);  // 0-d, 1-d or 2-d indices
      const auto lx = ref::kLayouts[rng() % 5], li = ref::kLayouts[rng() % 5];
      INFO(dtype_name(dt) << " x " << shape_str(s) << " (" << ref::layout_name(lx) << ") axis "
                          << axis_arg << " index " << shape_str(ishape) << " ("
                          << ref::layout_name(li) << ")");
      const Tensor x = ref::random_tensor(rng, s, dt, lx);
      const Tensor index = random_index(rng, ishape, s[at(axis)], li);
      const Array a = ref::read(x), ia = ref::read(index);
      // out.shape = x.shape[:axis] + index.shape + x.shape[axis+1:]
      Shape out_shape(s.begin(), s.begin() + axis);
      out_shape.insert(out_shape.end(), ishape.begin(), ishape.end());
      out_shape.insert(out_shape.end(), s.begin() + axis + 1, s.end());
      const auto ir = static_cast<std::int64_t>(ishape.size());
      auto source_of = [&](const Index& o) {  // the x index an output index reads
        Index xi(o.begin(), o.begin() + axis);
        const Index ii(o.begin() + axis, o.begin() + axis + ir);
        xi.push_back(static_cast<std::int64_t>(ia.v[at(ref::ravel(ii, ishape))]));
        xi.insert(xi.end(), o.begin() + axis + ir, o.end());
        return ref::ravel(xi, s);
      };
      Array want{out_shape, {}};
      for (std::int64_t f = 0; f < ref::numel(out_shape); ++f)
        want.v.push_back(a.v[at(source_of(ref::unravel(f, out_shape)))]);
      const Tensor got = index_select(x, axis_arg, index);
      CHECK(got.dtype() == dt);
      CHECK(ref::mismatch(ref::read(got), want, 0, 0) == "");

      // index_add: the adjoint, with repeated indices accumulating.
      const Tensor src = ref::random_tensor(rng, out_shape, dt, ref::kLayouts[rng() % 5]);
      const Array sa = ref::read(src);
      Array acc{s, std::vector<double>(at(ref::numel(s)), 0.0)};
      for (std::int64_t f = 0; f < ref::numel(out_shape); ++f)
        acc.v[at(source_of(ref::unravel(f, out_shape)))] += sa.v[at(f)];
      const Tensor added = index_add(s, axis_arg, index, src);
      CHECK(added.dtype() == dt);
      CHECK(ref::mismatch(ref::read(added), ref::round_to(acc, dt), ref::rtol_for(dt) * 4, 1e-6) ==
            "");
    }
  // Embedding lookup: rows of a weight matrix by id, ids of shape [B, T].
  Tensor weight = tensor({{0, 1}, {10, 11}, {20, 21}}, DType::f32);
  Tensor ids = from_vector(std::vector<std::int64_t>{2, 0, 2, 1}, {2, 2});
  Tensor e = index_select(weight, 0, ids);
  CHECK(e.shape() == Shape{2, 2, 2});
  CHECK(e.to_vector<float>() == std::vector<float>{20, 21, 0, 1, 20, 21, 10, 11});
  Tensor g = index_add({3, 2}, 0, ids, ones({2, 2, 2}));
  CHECK(g.to_vector<float>() == std::vector<float>{1, 1, 1, 1, 2, 2});
  // Negative indices count from the end, in every index op.
  Tensor neg_ids = from_vector(std::vector<std::int64_t>{-1, -3});
  CHECK(index_select(weight, 0, neg_ids).to_vector<float>() == std::vector<float>{20, 21, 0, 1});
  CHECK(index_add({3, 2}, 0, neg_ids, ones({2, 2})).to_vector<float>() ==
        std::vector<float>{1, 1, 0, 0, 1, 1});
  Tensor neg_cols = from_vector(std::vector<std::int64_t>{-1, 0, -2}, {3, 1});
  CHECK(gather(weight, 1, neg_cols).to_vector<float>() == std::vector<float>{1, 10, 20});
  CHECK(scatter_add({3, 2}, 1, neg_cols, ones({3, 1})).to_vector<float>() ==
        std::vector<float>{0, 1, 1, 0, 1, 0});
}

TEST_CASE("gather and scatter_add", "[tensor][index]") {
  std::mt19937 rng(2);
  for (DType dt : {DType::f32, DType::f64, DType::i64})
    for (int iter = 0; iter < 40; ++iter) {
      const int rank = 1 + iter % 4;
      const Shape s = ref::random_shape(rng, rank);
      const auto axis = static_cast<std::int64_t>(rng() % static_cast<unsigned>(rank));
      const std::int64_t axis_arg = iter % 2 ? axis - rank : axis;
      // index has x's rank; its extent along `axis` is free, the others equal x's.
      Shape ishape = s;
      ishape[at(axis)] = 1 + static_cast<std::int64_t>(rng() % 6);
      const auto lx = ref::kLayouts[rng() % 5], li = ref::kLayouts[rng() % 5];
      INFO(dtype_name(dt) << " x " << shape_str(s) << " (" << ref::layout_name(lx) << ") axis "
                          << axis_arg << " index " << shape_str(ishape) << " ("
                          << ref::layout_name(li) << ")");
      const Tensor x = ref::random_tensor(rng, s, dt, lx);
      const Tensor index = random_index(rng, ishape, s[at(axis)], li);
      const Array a = ref::read(x), ia = ref::read(index);
      auto source_of = [&](std::int64_t f) {
        Index i = ref::unravel(f, ishape);
        i[at(axis)] = static_cast<std::int64_t>(ia.v[at(f)]);
        return ref::ravel(i, s);
      };
      Array want{ishape, {}};
      for (std::int64_t f = 0; f < ref::numel(ishape); ++f) want.v.push_back(a.v[at(source_of(f))]);
      const Tensor got = gather(x, axis_arg, index);
      CHECK(got.dtype() == dt);
      CHECK(ref::mismatch(ref::read(got), want, 0, 0) == "");

      const Tensor src = ref::random_tensor(rng, ishape, dt, ref::kLayouts[rng() % 5]);
      const Array sa = ref::read(src);
      Array acc{s, std::vector<double>(at(ref::numel(s)), 0.0)};
      for (std::int64_t f = 0; f < ref::numel(ishape); ++f) acc.v[at(source_of(f))] += sa.v[at(f)];
      const Tensor scattered = scatter_add(s, axis_arg, index, src);
      CHECK(scattered.dtype() == dt);
      CHECK(ref::mismatch(ref::read(scattered), ref::round_to(acc, dt), ref::rtol_for(dt) * 4,
                          1e-6) == "");
    }
  // Picking the target class's log-probability per row, and its adjoint.
  Tensor logp = tensor({{-1, -2, -3}, {-4, -5, -6}}, DType::f64);
  Tensor target = from_vector(std::vector<std::int64_t>{2, 0}, {2, 1});
  CHECK(gather(logp, 1, target).to_vector<double>() == std::vector<double>{-3, -4});
  CHECK(scatter_add({2, 3}, 1, target, ones({2, 1}, DType::f64)).to_vector<double>() ==
        std::vector<double>{0, 0, 1, 1, 0, 0});
}

TEST_CASE("one_hot", "[tensor][index]") {
  Tensor ids = from_vector(std::vector<std::int64_t>{3, 0, 1, 3, 2, 0}, {2, 3});
  for (DType dt : {DType::f32, DType::f64, DType::i64}) {
    Tensor oh = one_hot(ids, 5, dt);
    CHECK(oh.shape() == Shape{2, 3, 5});
    CHECK(oh.dtype() == dt);
    const Array a = ref::read(oh);
    for (std::int64_t f = 0; f < 30; ++f) {
      const Index i = ref::unravel(f, oh.shape());
      CHECK(a.v[at(f)] == (ids.at({i[0], i[1]}) == static_cast<double>(i[2]) ? 1.0 : 0.0));
    }
  }
  CHECK(one_hot(ids, 4).dtype() == DType::f32);
  CHECK(one_hot(scalar(2, DType::i64), 3).to_vector<float>() == std::vector<float>{0, 0, 1});
  CHECK(one_hot(ids.t(), 4).select(0, 0).to_vector<float>() ==
        std::vector<float>{0, 0, 0, 1, 0, 0, 0, 1});
}

TEST_CASE("concat and stack", "[tensor][index]") {
  std::mt19937 rng(3);
  for (DType dt : {DType::f32, DType::f64, DType::i64})
    for (int iter = 0; iter < 30; ++iter) {
      const int rank = 1 + iter % 4;
      const Shape s = ref::random_shape(rng, rank);
      const auto axis = static_cast<std::int64_t>(rng() % static_cast<unsigned>(rank));
      const std::int64_t axis_arg = iter % 2 ? axis - rank : axis;
      const int parts_n = 1 + iter % 3;
      std::vector<Tensor> parts, same;
      std::vector<Array> arrays, same_arrays;
      for (int p = 0; p < parts_n; ++p) {
        Shape ps = s;
        ps[at(axis)] = static_cast<std::int64_t>(rng() % 4);  // may be 0
        parts.push_back(ref::random_tensor(rng, ps, dt, ref::kLayouts[rng() % 5]));
        arrays.push_back(ref::read(parts.back()));
        same.push_back(ref::random_tensor(rng, s, dt, ref::kLayouts[rng() % 5]));
        same_arrays.push_back(ref::read(same.back()));
      }
      INFO(dtype_name(dt) << " " << shape_str(s) << " axis " << axis_arg << " parts " << parts_n);
      // concat: position along axis selects the part.
      Shape cs = s;
      cs[at(axis)] = 0;
      for (const auto& p : arrays) cs[at(axis)] += p.shape[at(axis)];
      Array want{cs, {}};
      for (std::int64_t f = 0; f < ref::numel(cs); ++f) {
        Index i = ref::unravel(f, cs);
        std::size_t p = 0;
        while (i[at(axis)] >= arrays[p].shape[at(axis)]) i[at(axis)] -= arrays[p++].shape[at(axis)];
        want.v.push_back(arrays[p].v[at(ref::ravel(i, arrays[p].shape))]);
      }
      const Tensor c = concat(parts, axis_arg);
      CHECK(c.dtype() == dt);
      CHECK(ref::mismatch(ref::read(c), want, 0, 0) == "");
      // stack: a new axis (0 .. rank) selects the part.
      const auto new_axis = static_cast<std::int64_t>(rng() % static_cast<unsigned>(rank + 1));
      Shape ss = s;
      ss.insert(ss.begin() + new_axis, parts_n);
      Array want_s{ss, {}};
      for (std::int64_t f = 0; f < ref::numel(ss); ++f) {
        Index i = ref::unravel(f, ss);
        const auto p = at(i[at(new_axis)]);
        i.erase(i.begin() + new_axis);
        want_s.v.push_back(same_arrays[p].v[at(ref::ravel(i, s))]);
      }
      INFO("stack axis " << new_axis);
      CHECK(ref::mismatch(ref::read(stack(same, new_axis)), want_s, 0, 0) == "");
    }
  Tensor a = tensor({{1, 2}}), b = tensor({{3, 4}, {5, 6}});
  CHECK(concat({a, b}).to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(concat({b, b}, 1).shape() == Shape{2, 4});
  CHECK(stack({b, b}).shape() == Shape{2, 2, 2});
  CHECK(stack({b, b}, -1).shape() == Shape{2, 2, 2});
  CHECK(stack({b, b}, -1).to_vector<float>() == std::vector<float>{3, 3, 4, 4, 5, 5, 6, 6});
  CHECK(stack({scalar(1), scalar(2)}).to_vector<float>() == std::vector<float>{1, 2});
  // The result is a fresh tensor.
  CHECK_FALSE(concat({a}).shares_storage_with(a));
}

TEST_CASE("split and chunk return views", "[tensor][index]") {
  Tensor x = arange(0.0, 20.0, 1.0, DType::f64).reshape({2, 10});
  SECTION("split by size: the last piece may be shorter") {
    const auto parts = split(x, 4, 1);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].shape() == Shape{2, 4});
    CHECK(parts[2].shape() == Shape{2, 2});
    CHECK(parts[1].to_vector<double>() == std::vector<double>{4, 5, 6, 7, 14, 15, 16, 17});
    CHECK(parts[2].to_vector<double>() == std::vector<double>{8, 9, 18, 19});
    for (const auto& p : parts) CHECK(p.shares_storage_with(x));
    Tensor middle = parts[1];
    middle.fill_(-1.0);
    CHECK(x.at({1, 5}) == -1.0);
    CHECK(split(x, 10, 1).size() == 1);
    CHECK(split(x, 1, 0).size() == 2);
    CHECK(split(x, 1, 0)[1].shape() == Shape{1, 10});
    CHECK(split(x, 3, -1).size() == 4);
  }
  SECTION("split by sizes") {
    const auto parts = split(x, std::vector<std::int64_t>{3, 0, 5, 2}, -1);
    REQUIRE(parts.size() == 4);
    CHECK(parts[0].shape() == Shape{2, 3});
    CHECK(parts[1].shape() == Shape{2, 0});
    CHECK(parts[2].to_vector<double>() == std::vector<double>{3, 4, 5, 6, 7, 13, 14, 15, 16, 17});
    CHECK(parts[3].to_vector<double>() == std::vector<double>{8, 9, 18, 19});
    CHECK(parts[2].shares_storage_with(x));
    CHECK_THROWS_AS(split(x, std::vector<std::int64_t>{3, 3}, 1), Error);
  }
  SECTION("chunk like torch.chunk") {
    auto c = chunk(x, 3, 1);  // size ceil(10 / 3) = 4: 4, 4, 2
    REQUIRE(c.size() == 3);
    CHECK(c[0].shape() == Shape{2, 4});
    CHECK(c[2].shape() == Shape{2, 2});
    CHECK(c[2].to_vector<double>() == std::vector<double>{8, 9, 18, 19});
    CHECK(c[1].shares_storage_with(x));
    CHECK(chunk(x, 2, 1).size() == 2);
    CHECK(chunk(x, 2, 1)[1].to_vector<double>() ==
          std::vector<double>{5, 6, 7, 8, 9, 15, 16, 17, 18, 19});
    CHECK(chunk(x, 5, 1).size() == 5);
    CHECK(chunk(x, 1, 0)[0].shape() == Shape{2, 10});
    CHECK(chunk(x, 2, 0)[1].to_vector<double>() == x[1].to_vector<double>());
    // The concat of the pieces is the original.
    CHECK(equal(concat(chunk(x, 3, 1), 1), x));
    CHECK(equal(concat(split(x, 3, 1), 1), x));
  }
  SECTION("split of a transposed tensor") {
    const Tensor t = x.t();  // [10, 2]
    const auto parts = split(t, 4, 0);
    REQUIRE(parts.size() == 3);
    CHECK(parts[1].to_vector<double>() == std::vector<double>{4, 14, 5, 15, 6, 16, 7, 17});
  }
}
