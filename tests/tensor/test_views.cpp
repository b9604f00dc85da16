// Views (reshape / view, permute / transpose, slice, narrow, select, expand, squeeze, unsqueeze)
// against index arithmetic written here; views share storage and writes go through them;
// contiguous() copies only when needed; metadata and element access.
#include <catch2/catch.hpp>
#include <random>

#include "reference.hpp"

using namespace wengert;
using ref::Array;
using ref::Index;

namespace {

// An arange tensor of `shape`, so every element says where it came from.
Tensor iota(const Shape& shape, DType dtype = DType::f64) {
  std::vector<double> v(static_cast<std::size_t>(ref::numel(shape)));
  std::iota(v.begin(), v.end(), 0.0);
  return ref::make(shape, v, dtype);
}

}  // namespace

TEST_CASE("tensor metadata, item, at, to_vector", "[tensor][views]") {
  Tensor u;
  CHECK_FALSE(u.defined());
  Tensor t = iota({2, 3, 4});
  CHECK(t.defined());
  CHECK(t.dim() == 3);
  CHECK(t.numel() == 24);
  CHECK(t.size(0) == 2);
  CHECK(t.size(-1) == 4);
  CHECK(t.size(-3) == 2);
  CHECK(t.strides() == Strides{12, 4, 1});
  CHECK(t.offset() == 0);
  CHECK(t.is_contiguous());
  CHECK(t.dtype() == DType::f64);
  CHECK(t.at({1, 2, 3}) == 23.0);
  CHECK(t.at({0, 1, 2}) == 6.0);
  CHECK(scalar(2.5, DType::f64).item() == 2.5);
  CHECK(scalar(-3, DType::i64).item() == -3.0);
  CHECK(scalar(7).dim() == 0);
  CHECK(scalar(7).numel() == 1);
  CHECK(t.select(0, 1).select(0, 2).select(0, 3).item() == 23.0);
  CHECK(t[1][0].to_vector<double>() == std::vector<double>{12, 13, 14, 15});
  CHECK(t.to_vector<std::int64_t>()[5] == 5);
  CHECK(t.transpose(0, 2).to_vector<float>()[1] == 12.0f);
  CHECK_THROWS_AS(t.data<float>(), Error);
  CHECK_THROWS_AS(t.item(), Error);
  CHECK_THROWS_AS(t.at({2, 0, 0}), Error);
  CHECK_THROWS_AS(t.at({0, 0}), Error);
}

TEST_CASE("to_vector of random layouts equals a strided read", "[tensor][views]") {
  std::mt19937 rng(11);
  for (DType dt : {DType::f32, DType::f64, DType::i64})
    for (ref::Layout layout : ref::kLayouts)
      for (int rank = 0; rank <= 4; ++rank) {
        const Shape s = ref::random_shape(rng, rank);
        const Tensor t = ref::random_tensor(rng, s, dt, layout);
        INFO(ref::layout_name(layout) << " " << shape_str(s) << " " << dtype_name(dt));
        const Array a = ref::read(t);
        CHECK(t.to_vector<double>() == a.v);
        const Tensor c = t.contiguous();
        CHECK(c.is_contiguous());
        CHECK(ref::read(c).v == a.v);
        const Tensor k = t.clone();
        CHECK(k.is_contiguous());
        CHECK_FALSE(k.shares_storage_with(t));
        CHECK(ref::read(k).v == a.v);
      }
}

TEST_CASE("reshape and view", "[tensor][views]") {
  Tensor t = iota({2, 3, 4});
  SECTION("view shares storage and writes go through it") {
    Tensor v = t.view({6, 4});
    CHECK(v.shape() == Shape{6, 4});
    CHECK(v.shares_storage_with(t));
    v.select(0, 5).select(0, 1).fill_(-1.0);  // flat 21
    CHECK(t.at({1, 2, 1}) == -1.0);
    Tensor w = t.view({4, -1});
    CHECK(w.shape() == Shape{4, 6});
    CHECK(w.shares_storage_with(t));
    CHECK(t.view({24}).shape() == Shape{24});
    CHECK(t.flatten().shape() == Shape{24});
    CHECK(t.view({2, 1, 3, 1, 4}).at({1, 0, 2, 0, 3}) == 23.0);
  }
  SECTION("reshape is a view when possible") {
    Tensor r = t.reshape({3, 8});
    CHECK(r.shares_storage_with(t));
    CHECK(r.to_vector<double>() == t.to_vector<double>());
    CHECK(t.reshape({-1, 2}).shape() == Shape{12, 2});
    // Splitting / merging only axes that are contiguous among themselves is still a view.
    Tensor p = t.permute({1, 0, 2});  // [3, 2, 4], last axis contiguous
    Tensor pv = p.view({3, 2, 2, 2});
    CHECK(pv.shares_storage_with(t));
    CHECK(ref::read(pv).v == ref::read(p).v);
  }
  SECTION("can_view says whether view would work, without throwing") {
    CHECK(t.can_view({6, 4}));
    CHECK(t.can_view({2, 1, 3, 1, 4}));
    CHECK_FALSE(t.can_view({5, 5}));                           // another element count
    CHECK_FALSE(t.can_view({-1, 4}));                          // sizes must be explicit
    CHECK_FALSE(t.can_view({std::int64_t{1} << 62, 8}));       // a count past int64: no, no throw
    CHECK(iota({0}).can_view({std::int64_t{1} << 62, 8, 0}));  // empty: any layout is a view
    const Tensor p = t.permute({1, 0, 2});                     // [3, 2, 4]
    CHECK(p.can_view({3, 2, 2, 2}));
    CHECK_FALSE(p.can_view({6, 4}));  // axes 0 and 1 are not one stride apart
    CHECK_THROWS(p.view({6, 4}));
    const Tensor strided = t.slice(2, 0, 4, 2);  // [2, 3, 2]: offsets 0, 2, ..., 22
    CHECK(strided.can_view({6, 2}));
    CHECK(strided.can_view({12}));  // evenly spaced: one axis of stride 2
    CHECK(ref::read(strided.view({12})).v == ref::read(strided).v);
    const Tensor narrow = t.slice(2, 0, 3);  // [2, 3, 3]: rows of 3 elements 4 apart
    CHECK(narrow.can_view({6, 3}));
    CHECK_FALSE(narrow.can_view({18}));
    CHECK_THROWS(narrow.view({18}));
  }
  SECTION("reshape of a transposed tensor copies, with row-major order of the view") {
    Tensor tt = t.transpose(0, 2);  // [4, 3, 2]
    CHECK_FALSE(tt.is_contiguous());
    Tensor r = tt.reshape({4, 6});
    CHECK_FALSE(r.shares_storage_with(t));
    CHECK(r.to_vector<double>() == ref::read(tt).v);
    CHECK(tt.flatten().to_vector<double>() == ref::read(tt).v);
  }
  SECTION("0-d and size-1 reshapes") {
    Tensor s = scalar(5.0, DType::f64);
    CHECK(s.reshape({1, 1}).shape() == Shape{1, 1});
    CHECK(s.reshape({1, 1}).at({0, 0}) == 5.0);
    CHECK(s.reshape({}).dim() == 0);
    CHECK(iota({1}).reshape({}).item() == 0.0);
  }
  SECTION("random reshapes of random layouts keep row-major order") {
    std::mt19937 rng(5);
    for (int iter = 0; iter < 40; ++iter) {
      const Shape s = ref::random_shape(rng, 1 + iter % 4);
      const auto layout = ref::kLayouts[iter % 5];
      const Tensor x = ref::random_tensor(rng, s, DType::f32, layout);
      INFO(ref::layout_name(layout) << " " << shape_str(s));
      const Tensor r = x.reshape({ref::numel(s)});
      CHECK(ref::read(r).v == ref::read(x).v);
      if (x.is_contiguous()) CHECK(r.shares_storage_with(x));
    }
  }
}

TEST_CASE("permute, transpose, t", "[tensor][views]") {
  std::mt19937 rng(3);
  Tensor x = ref::random_tensor(rng, {2, 3, 4, 5}, DType::f64, ref::Layout::Contiguous);
  const Array a = ref::read(x);
  const Index order{2, 0, 3, 1};
  Tensor p = x.permute(order);
  CHECK(p.shape() == Shape{4, 2, 5, 3});
  CHECK(p.shares_storage_with(x));
  CHECK_FALSE(p.is_contiguous());
  const Array pa = ref::read(p);
  for (std::int64_t flat = 0; flat < 120; ++flat) {
    const Index pi = ref::unravel(flat, p.shape());
    Index xi(4);
    for (std::size_t k = 0; k < 4; ++k) xi[static_cast<std::size_t>(order[k])] = pi[k];
    REQUIRE(pa.v[static_cast<std::size_t>(flat)] ==
            a.v[static_cast<std::size_t>(ref::ravel(xi, x.shape()))]);
  }
  CHECK(x.permute({-1, 0, 1, 2}).shape() == Shape{5, 2, 3, 4});
  Tensor tr = x.transpose(1, -1);
  CHECK(tr.shape() == Shape{2, 5, 4, 3});
  CHECK(tr.at({1, 4, 2, 0}) == x.at({1, 0, 2, 4}));
  Tensor m = iota({3, 5});
  CHECK(m.t().shape() == Shape{5, 3});
  CHECK(m.t().at({4, 1}) == m.at({1, 4}));
  CHECK(m.t().t().is_contiguous());
  // Writing through a transpose lands in the original.
  m.t().select(0, 2).fill_(9.0);
  CHECK(m.select(1, 2).to_vector<double>() == std::vector<double>{9, 9, 9});
}

TEST_CASE("slice with steps, narrow, select", "[tensor][views]") {
  Tensor x = iota({6, 7});
  SECTION("slice follows Python semantics") {
    Tensor s = x.slice(1, 1, 7, 2);  // columns 1, 3, 5
    CHECK(s.shape() == Shape{6, 3});
    CHECK(s.shares_storage_with(x));
    CHECK(s.select(0, 2).to_vector<double>() == std::vector<double>{15, 17, 19});
    CHECK(x.slice(0, -2, 6).shape() == Shape{2, 7});
    CHECK(x.slice(0, -2, 6).at({0, 0}) == 28.0);
    CHECK(x.slice(1, 0, 100, 3).shape() == Shape{6, 3});  // stop clamped
    CHECK(x.slice(1, 5, 2).shape() == Shape{6, 0});       // empty
    CHECK(x.slice(-1, 2, -1, 2).select(0, 0).to_vector<double>() == std::vector<double>{2, 4});
    CHECK(x.slice(0, 1, 6, 4).select(1, 0).to_vector<double>() == std::vector<double>{7, 35});
    // Slice of a slice.
    Tensor ss = x.slice(1, 1, 7, 2).slice(0, 1, 6, 2);  // rows 1, 3, 5; cols 1, 3, 5
    CHECK(ss.to_vector<double>() == std::vector<double>{8, 10, 12, 22, 24, 26, 36, 38, 40});
    ss.fill_(-1.0);
    CHECK(x.at({3, 3}) == -1.0);
    CHECK(x.at({3, 2}) == 23.0);
  }
  SECTION("random slices match index arithmetic") {
    std::mt19937 rng(17);
    for (int iter = 0; iter < 60; ++iter) {
      const int rank = 1 + iter % 4;
      const Shape s = ref::random_shape(rng, rank, 7);
      const Tensor t = ref::random_tensor(rng, s, DType::f32, ref::kLayouts[iter % 5]);
      const Array a = ref::read(t);
      const auto axis = static_cast<std::int64_t>(rng() % static_cast<unsigned>(rank));
      const std::int64_t n = s[static_cast<std::size_t>(axis)];
      const std::int64_t start = static_cast<std::int64_t>(rng() % static_cast<unsigned>(n));
      const std::int64_t stop =
          start + static_cast<std::int64_t>(rng() % static_cast<unsigned>(n - start + 1));
      const std::int64_t step = 1 + static_cast<std::int64_t>(rng() % 3);
      INFO(shape_str(s) << " axis " << axis << " " << start << ":" << stop << ":" << step);
      const Tensor v = t.slice(axis, start, stop, step);
      Shape want_shape = s;
      want_shape[static_cast<std::size_t>(axis)] = (stop - start + step - 1) / step;
      REQUIRE(v.shape() == want_shape);
      const Array va = ref::read(v);
      for (std::int64_t flat = 0; flat < ref::numel(want_shape); ++flat) {
        Index i = ref::unravel(flat, want_shape);
        i[static_cast<std::size_t>(axis)] = start + i[static_cast<std::size_t>(axis)] * step;
        REQUIRE(va.v[static_cast<std::size_t>(flat)] ==
                a.v[static_cast<std::size_t>(ref::ravel(i, s))]);
      }
    }
  }
  SECTION("narrow") {
    Tensor n = x.narrow(1, 2, 3);
    CHECK(n.shape() == Shape{6, 3});
    CHECK(n.shares_storage_with(x));
    CHECK(n.select(0, 1).to_vector<double>() == std::vector<double>{9, 10, 11});
    CHECK(x.narrow(0, 6, 0).shape() == Shape{0, 7});
    CHECK_THROWS_AS(x.narrow(0, 4, 3), Error);
  }
  SECTION("select drops the axis; negative indices count from the end") {
    Tensor r = x.select(0, -1);
    CHECK(r.shape() == Shape{7});
    CHECK(r.at({0}) == 35.0);
    Tensor c = x.select(1, 3);
    CHECK(c.to_vector<double>() == std::vector<double>{3, 10, 17, 24, 31, 38});
    CHECK(x[2].at({1}) == 15.0);
    c.fill_(0.0);
    CHECK(x.at({4, 3}) == 0.0);
  }
}

TEST_CASE("expand gives stride 0 and shares storage", "[tensor][views]") {
  Tensor col = ref::make({3, 1}, {1, 2, 3}, DType::f32);
  Tensor e = col.expand({2, 3, 4});
  CHECK(e.shape() == Shape{2, 3, 4});
  CHECK(e.strides()[0] == 0);
  CHECK(e.strides()[2] == 0);
  CHECK(e.shares_storage_with(col));
  CHECK_FALSE(e.is_contiguous());
  CHECK(e.at({1, 2, 3}) == 3.0);
  CHECK(e.at({0, 1, 0}) == 2.0);
  CHECK(col.expand({-1, 5}).shape() == Shape{3, 5});
  Tensor c = e.contiguous();
  CHECK(c.is_contiguous());
  CHECK_FALSE(c.shares_storage_with(col));
  CHECK(c.to_vector<double>() == ref::read(e).v);
  // A 0-d tensor expands to anything.
  Tensor s = scalar(4.0).expand({2, 2});
  CHECK(s.to_vector<double>() == std::vector<double>{4, 4, 4, 4});
  CHECK_THROWS_AS(col.expand({3, 2, 2}), Error);
}

TEST_CASE("squeeze and unsqueeze", "[tensor][views]") {
  Tensor x = iota({1, 3, 1, 2});
  CHECK(x.squeeze().shape() == Shape{3, 2});
  CHECK(x.squeeze().shares_storage_with(x));
  CHECK(x.squeeze(0).shape() == Shape{3, 1, 2});
  CHECK(x.squeeze(-2).shape() == Shape{1, 3, 2});
  CHECK(x.squeeze(1).shape() == Shape{1, 3, 1, 2});  // not size 1: unchanged
  CHECK(x.squeeze().to_vector<double>() == x.to_vector<double>());
  CHECK(iota({1, 1}).squeeze().dim() == 0);
  Tensor y = iota({3, 2});
  CHECK(y.unsqueeze(0).shape() == Shape{1, 3, 2});
  CHECK(y.unsqueeze(1).shape() == Shape{3, 1, 2});
  CHECK(y.unsqueeze(2).shape() == Shape{3, 2, 1});
  CHECK(y.unsqueeze(-1).shape() == Shape{3, 2, 1});
  CHECK(y.unsqueeze(-3).shape() == Shape{1, 3, 2});
  CHECK(y.unsqueeze(1).shares_storage_with(y));
  CHECK(y.unsqueeze(1).to_vector<double>() == y.to_vector<double>());
  CHECK(y.unsqueeze(1).is_contiguous());
  CHECK(scalar(1.0).unsqueeze(0).shape() == Shape{1});
  // unsqueeze of a transposed view keeps the element order.
  Tensor yt = y.t().unsqueeze(1);
  CHECK(yt.shape() == Shape{2, 1, 3});
  CHECK(yt.to_vector<double>() == std::vector<double>{0, 2, 4, 1, 3, 5});
  CHECK(yt.view({2, 3}).to_vector<double>() == std::vector<double>{0, 2, 4, 1, 3, 5});
}

TEST_CASE("contiguous copies only when needed; clone always copies; to converts",
          "[tensor][views]") {
  Tensor x = iota({3, 4}, DType::f32);
  Tensor c = x.contiguous();
  CHECK(c.shares_storage_with(x));
  CHECK(c.data<float>() == x.data<float>());
  CHECK(x.slice(0, 1, 3).is_contiguous());  // a row range of a row-major matrix
  CHECK(x.slice(0, 1, 3).contiguous().shares_storage_with(x));
  Tensor tc = x.t().contiguous();
  CHECK_FALSE(tc.shares_storage_with(x));
  CHECK(tc.is_contiguous());
  CHECK(tc.to_vector<double>() == ref::read(x.t()).v);
  CHECK_FALSE(x.slice(1, 0, 4, 2).is_contiguous());
  Tensor k = x.clone();
  CHECK_FALSE(k.shares_storage_with(x));
  k.fill_(0.0);
  CHECK(x.at({2, 3}) == 11.0);
  Tensor d = x.t().to(DType::i64);
  CHECK(d.dtype() == DType::i64);
  CHECK(d.shape() == Shape{4, 3});
  CHECK(d.to_vector<double>() == ref::read(x.t()).v);
  Tensor f = ref::make({3}, {1.75, -2.5, 3.25}, DType::f64).to(DType::i64);
  CHECK(f.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, -2, 3});  // truncation
  CHECK(x.to(DType::f32).dtype() == DType::f32);
}

TEST_CASE("in-place ops write through views, broadcast the source and bump version()",
          "[tensor][views][inplace]") {
  std::mt19937 rng(23);
  for (DType dt : {DType::f32, DType::f64, DType::i64}) {
    INFO(dtype_name(dt));
    for (ref::Layout layout :
         {ref::Layout::Contiguous, ref::Layout::Transposed, ref::Layout::Strided}) {
      INFO(ref::layout_name(layout));
      const Shape s{3, 4, 5};
      Tensor x = ref::random_tensor(rng, s, dt, layout);
      const Tensor other = ref::random_tensor(rng, {4, 1}, dt, ref::Layout::Contiguous, 1.0, 3.0);
      const Array a = ref::read(x), b = ref::read(other);
      std::uint64_t v = x.version();
      auto bumped = [&] {
        const bool ok = x.version() > v;
        v = x.version();
        return ok;
      };
      auto check_op = [&](Tensor& (Tensor::*op)(const Tensor&), auto f) {
        Tensor y = x.clone();
        const std::uint64_t before = y.version();
        (y.*op)(other);
        CHECK(y.version() > before);
        const Array want = ref::round_to(ref::binary(a, b, f), dt);
        CHECK(ref::mismatch(ref::read(y), want, ref::rtol_for(dt), 0.0) == "");
      };
      check_op(&Tensor::add_, [](double p, double q) { return p + q; });
      check_op(&Tensor::sub_, [](double p, double q) { return p - q; });
      check_op(&Tensor::mul_, [](double p, double q) { return p * q; });
      if (dt != DType::i64) check_op(&Tensor::div_, [](double p, double q) { return p / q; });

      x.add_(2.0);
      CHECK(bumped());
      CHECK(ref::mismatch(ref::read(x),
                          ref::round_to(ref::unary(a, [](double p) { return p + 2; }), dt),
                          ref::rtol_for(dt), 0) == "");
      x.mul_(-3.0);
      CHECK(bumped());
      CHECK(ref::mismatch(ref::read(x),
                          ref::round_to(ref::unary(a, [](double p) { return (p + 2) * -3; }), dt),
                          ref::rtol_for(dt), 1e-6) == "");
      x.clamp_(-4.0, -1.0);
      CHECK(bumped());
      CHECK(
          ref::mismatch(
              ref::read(x),
              ref::round_to(
                  ref::unary(a, [](double p) { return std::clamp((p + 2) * -3, -4.0, -1.0); }), dt),
              ref::rtol_for(dt), 1e-6) == "");
      const double alpha = dt == DType::i64 ? 2.0 : 0.5;
      const Array before = ref::read(x);
      x.add_scaled_(other, alpha);
      CHECK(bumped());
      const Array want = ref::binary(before, b, [&](double p, double q) { return p + alpha * q; });
      CHECK(ref::mismatch(ref::read(x), ref::round_to(want, dt), ref::rtol_for(dt), 1e-6) == "");
      x.fill_(7.0);
      CHECK(bumped());
      CHECK(ref::read(x).v == std::vector<double>(60, 7.0));
      x.copy_(other);  // broadcasts [4, 1] to [3, 4, 5]
      CHECK(bumped());
      CHECK(ref::read(x).v ==
            ref::binary(ref::Array{s, std::vector<double>(60, 0.0)}, b, [](double, double q) {
              return q;
            }).v);
      x.zero_();
      CHECK(bumped());
      CHECK(ref::read(x).v == std::vector<double>(60, 0.0));
    }
  }
}

TEST_CASE("in-place ops on a view are visible in the base and bump the shared version",
          "[tensor][views][inplace]") {
  Tensor base = zeros({4, 4}, DType::f64);
  Tensor diag_block = base.slice(0, 1, 3).slice(1, 1, 3);
  const std::uint64_t v0 = base.version();
  diag_block.add_(1.5);
  CHECK(base.version() > v0);
  CHECK(base.at({1, 1}) == 1.5);
  CHECK(base.at({2, 2}) == 1.5);
  CHECK(base.at({0, 0}) == 0.0);
  CHECK(base.at({3, 2}) == 0.0);
  // copy_ converts dtypes.
  Tensor f = zeros({2, 2}, DType::f32);
  f.copy_(ref::make({2, 2}, {1, 2, 3, 4}, DType::i64));
  CHECK(f.to_vector<float>() == std::vector<float>{1, 2, 3, 4});
  // copy_ from a transposed source.
  Tensor g = zeros({2, 2}, DType::f64);
  g.copy_(ref::make({2, 2}, {1, 2, 3, 4}, DType::f64).t());
  CHECK(g.to_vector<double>() == std::vector<double>{1, 3, 2, 4});
}
