// What a backward rule reads through its context (record.hpp): the entry's saved inputs and
// output, its input shapes and dtypes, its named saved tensors. Each read checks that record()
// was told to keep it. Passing gradients on (add) is the sweep's side, in backward.cpp.
#include <wengert/autograd/record.hpp>

namespace wengert {

namespace {
const Tensor& input_value(const Node& n, std::size_t i) {
  check(i < n.inputs.size(), n.op, " backward: input ", i, " out of range");
  return n.inputs[i].node->value;
}
}  // namespace

// --- BackwardCtx: the entry's values as Tensors ---

const Tensor& BackwardCtx::out() const {
  check(node_.saved.values & kSaveOut, node_.op, " backward: reads its output without kSaveOut");
  return node_.value;
}
const Tensor& BackwardCtx::in(std::size_t i) const {
  check(saves_input(node_.saved.values, i), node_.op, " backward: reads input ", i,
        " without saving it");
  return input_value(node_, i);
}
const Shape& BackwardCtx::in_shape(std::size_t i) const { return input_value(node_, i).shape(); }
DType BackwardCtx::in_dtype(std::size_t i) const { return input_value(node_, i).dtype(); }
const Tensor& BackwardCtx::saved(std::string_view name) const {
  for (const SavedTensor& s : node_.saved.extra)
    if (s.name == name) return s.tensor;
  fail(node_.op, " backward: no saved tensor named '", name, "'");
}
void BackwardCtx::fail_first_order() const {
  fail("backward: ", node_.describe(),
       " has a first-order backward rule (written on Tensors only), so create_graph "
       "cannot differentiate through it; write its rule as [](auto& c) (record.hpp)");
}

// --- GraphCtx: the same entry as Vars, so the rule records ---

Var GraphCtx::out() const {
  tensors_.out();  // checks that the output was saved
  return Var(self_);
}
Var GraphCtx::in(std::size_t i) const {
  tensors_.in(i);  // checks that input i was saved
  return Var(self_->inputs[i].node);
}

}  // namespace wengert
