// record_outputs(): packing several outputs into one entry's value, and the views back.
#include <wengert/autograd/ops.hpp>
#include <wengert/autograd/record_outputs.hpp>

namespace wengert {
namespace detail {
Tensor pack(std::string_view op, const std::vector<Tensor>& outputs) {
  check(!outputs.empty(), op, ": record_outputs needs at least one output");
  std::vector<Tensor> flat;
  for (const Tensor& t : outputs) {
    check(t.dtype() == outputs.front().dtype() && is_floating(t.dtype()), op,
          ": record_outputs needs floating outputs of one dtype, got ", dtype_name(t.dtype()),
          " and ", dtype_name(outputs.front().dtype()));
    flat.push_back(t.reshape({-1}));
  }
  return concat(flat, 0);
}

namespace {
// Output k is the slice [offset_k, offset_k + numel_k) of the packed value, reshaped.
template <class V, class ViewFn>
std::vector<V> unpack_with(const V& packed, const std::vector<Shape>& shapes, ViewFn view) {
  std::vector<V> parts;
  std::int64_t offset = 0;
  for (const Shape& shape : shapes) {
    const std::int64_t n = numel_of(shape);
    parts.push_back(view(packed, offset, n, shape));
    offset += n;
  }
  return parts;
}
}  // namespace

std::vector<Tensor> unpack(const Tensor& packed, const std::vector<Shape>& shapes) {
  return unpack_with(packed, shapes, [](const Tensor& p, auto start, auto n, auto& s) {
    return p.narrow(0, start, n).reshape(s);
  });
}
std::vector<Var> unpack(const Var& packed, const std::vector<Shape>& shapes) {
  return unpack_with(packed, shapes, [](const Var& p, auto start, auto n, auto& s) {
    return reshape(narrow(p, 0, start, n), s);
  });
}
}  // namespace detail
}  // namespace wengert
