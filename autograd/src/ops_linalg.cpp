// matmul and the indexing ops (embedding lookup is index_select on axis 0).
#include <wengert/autograd/node.hpp>
#include <wengert/autograd/ops.hpp>

namespace wengert {

// matmul with NumPy semantics. The backward promotes 1-d operands the way the forward did
// (a: [K] -> [1, K], b: [K] -> [K, 1]) and puts the removed axes back into dy, so one rule serves
// every case:  da = dy @ b^T  [.., M, K],  db = a^T @ dy  [.., K, N]. Broadcast batch axes are
// then summed away by sum_to, and a promoted operand's extra axis is dropped with a reshape.
Var matmul(const Var& a, const Var& b) {
  return record("matmul", matmul(a.value(), b.value()), {a, b}, kSaveIn0 | kSaveIn1,
                [](BackwardCtx& c) {
                  const Tensor &a_value = c.in(0), &b_value = c.in(1);
                  const bool a_vec = a_value.dim() == 1, b_vec = b_value.dim() == 1;
                  const Tensor a2 = a_vec ? a_value.unsqueeze(0) : a_value;
                  const Tensor b2 = b_vec ? b_value.unsqueeze(1) : b_value;
                  Tensor dy = c.dout;
                  if (a_vec) dy = dy.unsqueeze(dy.dim() - (b_vec ? 0 : 1));
                  if (b_vec) dy = dy.unsqueeze(dy.dim());
                  if (c.needs(0)) {
                    Tensor da = matmul(dy, b2.transpose(-1, -2));
                    if (da.dim() > a2.dim()) da = sum_to(da, a2.shape());
                    c.add(0, a_vec ? da.reshape(a_value.shape()) : da);
                  }
                  if (c.needs(1)) {
                    Tensor db = matmul(a2.transpose(-1, -2), dy);
                    if (db.dim() > b2.dim()) db = sum_to(db, b2.shape());
                    c.add(1, b_vec ? db.reshape(b_value.shape()) : db);
                  }
                });
}

Var index_select(const Var& x, std::int64_t axis, const Tensor& index) {
  return record(
      "index_select", index_select(x.value(), axis, index), {x}, kSaveNone,
      [axis](BackwardCtx& c) { c.add(0, index_add(c.in_shape(0), axis, c.saved(0), c.dout)); },
      {index});
}

Var gather(const Var& x, std::int64_t axis, const Tensor& index) {
  return record(
      "gather", gather(x.value(), axis, index), {x}, kSaveNone,
      [axis](BackwardCtx& c) { c.add(0, scatter_add(c.in_shape(0), axis, c.saved(0), c.dout)); },
      {index});
}

}  // namespace wengert
