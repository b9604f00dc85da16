// record(): grad mode, appending one entry to this thread's tape, and the packing behind
// record_outputs.
#include <wengert/autograd/anomaly.hpp>
#include <wengert/autograd/node.hpp>
#include <wengert/autograd/ops.hpp>
#include <wengert/autograd/tape.hpp>

namespace wengert {

// Grad mode, per thread: whether record() records.
namespace {
thread_local bool grad_mode = true;
}
bool grad_enabled() { return grad_mode; }
GradModeGuard::GradModeGuard(bool enabled) : previous_(grad_mode) { grad_mode = enabled; }
GradModeGuard::~GradModeGuard() { grad_mode = previous_; }

namespace detail {
Var record_entry(std::string_view op, Tensor value,
                 std::span<const std::reference_wrapper<const Var>> inputs, std::uint8_t saves,
                 BackwardFn backward, std::vector<Tensor> saved, bool differentiable) {
  if (op.empty()) fail("record: the op needs a name (an empty name marks a leaf)");
  if (!backward) fail(op, ": record needs a backward rule");
  bool needs_grad = false;
  if (grad_mode)
    for (const Var& in : inputs) needs_grad = needs_grad || in.requires_grad();
  auto node = std::make_shared<Node>();
  if (anomaly_enabled())
    detail::check_forward(op, needs_grad ? Tape::current().next_index() : -1, value);
  node->value = std::move(value);
  if (!needs_grad) return Var(std::move(node));  // a constant: nothing to record

  Tape& tape = Tape::current();
  node->requires_grad = true;
  node->op = op;
  node->saves = saves;
  node->differentiable = differentiable;
  node->out_version = node->value.version();
  node->inputs.reserve(inputs.size());
  for (const Var& in : inputs) {
    const std::shared_ptr<Node>& input = in.node();
    if (!input->is_leaf() && input->requires_grad && input->tape_id != tape.id())
      fail(op, ": input ", input->describe(), " was recorded on another thread's tape");
    node->inputs.push_back(Edge{input, input->value.version()});
  }
  if (!saved.empty()) {
    node->saved.reserve(saved.size());
    for (Tensor& t : saved) {
      const std::uint64_t version = t.version();
      node->saved.push_back(SavedTensor{std::move(t), version});
    }
  }
  node->backward = std::move(backward);
  tape.append(node);
  return Var(std::move(node));
}

std::vector<std::reference_wrapper<const Var>> refs(std::span<const Var> inputs) {
  return {inputs.begin(), inputs.end()};
}

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
