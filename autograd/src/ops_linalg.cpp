// matmul and the indexing ops (embedding lookup is index_select on axis 0).
#include <wengert/autograd/ops.hpp>
#include <wengert/autograd/record.hpp>

#include "rule_ops.hpp"

namespace wengert {

// matmul with NumPy semantics. The backward promotes 1-d operands the way the forward did
// (a: [K] -> [1, K], b: [K] -> [K, 1]) and puts the removed axes back into dy, so one rule serves
// every case:  da = dy @ b^T  [.., M, K],  db = a^T @ dy  [.., K, N]. Broadcast batch axes are
// then summed away by sum_to (for one matrix b, inside a single GEMM), and a promoted operand's
// extra axis is dropped with a reshape.
Var matmul(const Var& a, const Var& b) {
  return record("matmul", matmul(a.value(), b.value()), {a, b}, kSaveIn0 | kSaveIn1, [](auto& c) {
    using T = std::remove_cvref_t<decltype(c.dout)>;
    const Shape &a_shape = c.in_shape(0), &b_shape = c.in_shape(1);
    const bool a_vec = a_shape.size() == 1, b_vec = b_shape.size() == 1;
    const T a2 = a_vec ? unsqueeze(c.in(0), 0) : T(c.in(0));
    const T b2 = b_vec ? unsqueeze(c.in(1), 1) : T(c.in(1));
    T dy = c.dout;
    const auto rank = [](const T& t) { return rule::value_of(t).dim(); };
    if (a_vec) dy = unsqueeze(dy, rank(dy) - (b_vec ? 0 : 1));
    if (b_vec) dy = unsqueeze(dy, rank(dy));
    if (c.needs(0)) {
      T da = matmul(dy, transpose(b2, -1, -2));
      if (rank(da) > rank(a2)) da = sum_to(da, rule::value_of(a2).shape());
      c.add(0, a_vec ? reshape(da, a_shape) : da);
    }
    if (c.needs(1)) {
      T db;
      if (rank(b2) == 2 && rank(a2) > 2) {
        // One b for every batch of a: sum_t a_t^T dy_t = A^T dY, with the batches of a and dy
        // stacked as rows (the forward's single GEMM, matmul.cpp): one GEMM, no sum over t.
        const Shape& a2_shape = rule::value_of(a2).shape();
        const std::int64_t K = a2_shape.back(), N = rule::value_of(b2).shape().back();
        const std::int64_t rows = numel_of(Shape(a2_shape.begin(), a2_shape.end() - 1));
        db = matmul(transpose(reshape(a2, {rows, K}), 0, 1), reshape(dy, {rows, N}));
      } else {
        db = matmul(transpose(a2, -1, -2), dy);
        if (rank(db) > rank(b2)) db = sum_to(db, rule::value_of(b2).shape());
      }
      c.add(1, b_vec ? reshape(db, b_shape) : db);
    }
  });
}

Var index_select(const Var& x, std::int64_t axis, const Tensor& index) {
  return record(
      "index_select", index_select(x.value(), axis, index), {x}, kSaveNone,
      [axis](auto& c) { c.add(0, index_add(c.in_shape(0), axis, c.saved("index"), c.dout)); },
      {{"index", index}});
}

// y = zeros(shape), y[.., index[j], ..] += src[.., j, ..]:  dsrc = index_select(dy, axis, index)
Var index_add(const Shape& shape, std::int64_t axis, const Tensor& index, const Var& src) {
  return record("index_add", index_add(shape, axis, index, src.value()), {src}, kSaveNone,
                [axis](auto& c) { c.add(0, index_select(c.dout, axis, c.saved("index"))); },
                {{"index", index}});
}

// y = zeros(shape), y[index[p] along axis] += src[p]:  dsrc = gather(dy, axis, index)
Var scatter_add(const Shape& shape, std::int64_t axis, const Tensor& index, const Var& src) {
  return record("scatter_add", scatter_add(shape, axis, index, src.value()), {src}, kSaveNone,
                [axis](auto& c) { c.add(0, gather(c.dout, axis, c.saved("index"))); },
                {{"index", index}});
}

Var gather(const Var& x, std::int64_t axis, const Tensor& index) {
  return record(
      "gather", gather(x.value(), axis, index), {x}, kSaveNone,
      [axis](auto& c) { c.add(0, scatter_add(c.in_shape(0), axis, c.saved("index"), c.dout)); },
      {{"index", index}});
}

}  // namespace wengert
