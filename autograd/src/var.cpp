// The Var handle: accessors over its Node.
#include <wengert/autograd/node.hpp>

namespace wengert {

Var::Var(Tensor value, bool requires_grad, std::string name) : node_(std::make_shared<Node>()) {
  check(value.defined(), "Var: the value is an undefined tensor");
  check(!requires_grad || is_floating(value.dtype()),
        "Var: requires_grad needs a floating dtype, got ", dtype_name(value.dtype()));
  node_->value = std::move(value);
  node_->requires_grad = requires_grad;
  node_->name = std::move(name);
}

namespace {
const Node& checked(const std::shared_ptr<Node>& node) {
  check(node != nullptr, "Var: used an undefined Var");
  return *node;
}
}  // namespace

const Tensor& Var::value() const { return checked(node_).value; }
const Tensor& Var::grad() const { return checked(node_).grad; }
void Var::set_grad(Tensor grad) const {
  checked(node_);
  if (grad.defined()) {
    if (grad.shape() != node_->value.shape())
      fail("set_grad: gradient shape ", shape_str(grad.shape()), " differs from the value's ",
           shape_str(node_->value.shape()));
    check(grad.dtype() == node_->value.dtype(), "set_grad: gradient dtype ",
          dtype_name(grad.dtype()), " differs from the value's ", dtype_name(node_->value.dtype()),
          " (shape ", ShapePrinter{grad.shape()}, ")");
    // backward adds into grad() and optimizers update it in place: a gradient whose elements
    // share memory (an expanded view) is kept as a copy of its own.
    if (grad.has_internal_overlap()) grad = grad.clone();
  }
  node_->grad = std::move(grad);
  node_->grad_graph = Var();
}
Tensor& Var::mutable_value() const {
  checked(node_);
  return node_->value;
}
Tensor& Var::mutable_grad() const {
  checked(node_);
  return node_->grad;
}
void Var::zero_grad() const { set_grad(Tensor()); }
Var Var::differentiable_grad() const {
  const Node& n = checked(node_);
  if (n.grad_graph.defined()) return n.grad_graph;
  return n.grad.defined() ? Var(n.grad) : Var();
}
bool Var::requires_grad() const { return checked(node_).requires_grad; }
bool Var::is_leaf() const { return checked(node_).is_leaf(); }
std::string_view Var::op() const {
  const Node& n = checked(node_);
  return n.is_leaf() ? std::string_view("leaf") : std::string_view(n.op);
}
const std::string& Var::name() const { return checked(node_).name; }
const Var& Var::set_name(std::string name) const {
  checked(node_);
  node_->name = std::move(name);
  return *this;
}
const Shape& Var::shape() const { return value().shape(); }
std::int64_t Var::dim() const { return value().dim(); }
std::int64_t Var::size(std::int64_t axis) const { return value().size(axis); }
std::int64_t Var::numel() const { return value().numel(); }
DType Var::dtype() const { return value().dtype(); }
double Var::item() const { return value().item(); }

const Var& Var::requires_grad_(bool on) const {
  const Node& n = checked(node_);
  if (!n.is_leaf())
    fail("requires_grad_: ", n.describe(),
         " was computed by a recorded op; only leaves can change requires_grad (use detach())");
  check(!on || is_floating(n.value.dtype()), "requires_grad_: needs a floating dtype, got ",
        dtype_name(n.value.dtype()));
  node_->requires_grad = on;
  return *this;
}

Var Var::detach() const { return Var(value(), false, name()); }

}  // namespace wengert
