// Recording: grad mode, and appending one entry to this thread's tape.
#include <wengert/autograd/anomaly.hpp>
#include <wengert/autograd/record.hpp>
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
                 BackwardFn backward, std::vector<SavedTensor> saved) {
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
  node->inputs.reserve(inputs.size());
  for (const Var& in : inputs) {
    const std::shared_ptr<Node>& input = in.node();
    if (!input->is_leaf() && input->requires_grad && input->marks.tape != tape.id())
      fail(op, ": input ", input->describe(), " was recorded on another thread's tape");
    node->inputs.push_back(Edge{input, input->value.version()});
  }
  node->saved.values = saves;
  node->saved.out_version = node->value.version();
  if (!saved.empty()) {
    for (SavedTensor& s : saved) s.version = s.tensor.version();
    node->saved.extra = std::move(saved);
  }
  node->backward = std::move(backward);
  tape.append(node);
  return Var(std::move(node));
}

std::vector<std::reference_wrapper<const Var>> refs(std::span<const Var> inputs) {
  return {inputs.begin(), inputs.end()};
}
}  // namespace detail

}  // namespace wengert
