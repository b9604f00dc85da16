// The core: Node lifetime, the Var handle, grad mode, record() and the thread's Tape.
// The engine that sweeps the tape is in backward.cpp.
#include <algorithm>
#include <atomic>
#include <sstream>
#include <wengert/autograd/anomaly.hpp>
#include <wengert/autograd/node.hpp>
#include <wengert/autograd/ops.hpp>
#include <wengert/autograd/tape.hpp>

namespace wengert {

// --- Node lifetime ---

namespace {
// Freeing a long chain (a graph over a thousand time steps) would recurse once per node: each
// node's destructor drops the last reference to its input. Instead, the outermost destructor owns
// a work list, and nested ones only move the inputs they solely own onto it. The pointer is
// trivially destructible, so it is safe even while thread-local objects are being torn down.
thread_local std::vector<std::shared_ptr<Node>>* dying = nullptr;

void drop_inputs(Edges& inputs) {
  if (inputs.empty()) return;
  if (dying != nullptr) {
    for (Edge& e : inputs)
      if (e.node.use_count() == 1) dying->push_back(std::move(e.node));
    inputs.clear();
    return;
  }
  std::vector<std::shared_ptr<Node>> work;
  dying = &work;
  for (Edge& e : inputs)
    if (e.node.use_count() == 1) work.push_back(std::move(e.node));
  inputs.clear();
  while (!work.empty()) {
    std::shared_ptr<Node> last = std::move(work.back());
    work.pop_back();
    last.reset();  // its destructor may push more onto `work`
  }
  dying = nullptr;
}
}  // namespace

Node::~Node() { drop_inputs(inputs); }

void Node::release() {
  released = true;
  drop_inputs(inputs);
  saved.clear();
  backward = nullptr;
}

std::string Node::describe() const {
  std::ostringstream out;
  if (!name.empty()) out << "'" << name << "' (";
  if (is_leaf())
    out << "leaf";
  else
    out << op << ", tape #" << index;
  out << ", shape " << shape_str(value.shape());
  if (!name.empty()) out << ")";
  return out.str();
}

// --- Var ---

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
  if (grad.defined() && grad.shape() != node_->value.shape())
    fail("set_grad: gradient shape ", shape_str(grad.shape()), " differs from the value's ",
         shape_str(node_->value.shape()));
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

std::ostream& operator<<(std::ostream& out, const Var& v) {
  if (!v.defined()) return out << "Var(undefined)";
  out << "Var(";
  if (!v.name().empty()) out << "'" << v.name() << "', ";
  out << v.op() << ", " << v.value();
  if (v.requires_grad()) out << ", requires_grad";
  return out << ")";
}

// --- grad mode ---

namespace {
thread_local bool grad_mode = true;
}
bool grad_enabled() { return grad_mode; }
GradModeGuard::GradModeGuard(bool enabled) : previous_(grad_mode) { grad_mode = enabled; }
GradModeGuard::~GradModeGuard() { grad_mode = previous_; }

// --- record ---

namespace detail {
Var record_entry(std::string_view op, Tensor value,
                 std::span<const std::reference_wrapper<const Var>> inputs, std::uint8_t saves,
                 BackwardFn backward, std::vector<Tensor> saved, bool differentiable) {
  if (op.empty()) fail("record: the op needs a name (an empty name marks a leaf)");
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

// --- Tape ---

namespace {
std::atomic<std::uint32_t> next_tape_id{1};
}

Tape::Tape() : id_(next_tape_id.fetch_add(1)) {}

Tape& Tape::current() {
  thread_local Tape tape;
  return tape;
}

void Tape::append(const std::shared_ptr<Node>& node) {
  node->tape_id = id_;
  node->index = next_index_++;
  if (entries_.size() >= compact_at_) {
    // Drop entries whose outputs died; amortised O(1) per append, the tape stays <= 2x live + 64.
    std::erase_if(entries_, [](const std::weak_ptr<Node>& w) { return w.expired(); });
    compact_at_ = std::max<std::size_t>(64, 2 * entries_.size());
  }
  entries_.emplace_back(node);
}

std::vector<std::shared_ptr<Node>> Tape::entries() const {
  std::vector<std::shared_ptr<Node>> live;
  live.reserve(entries_.size());
  for (const auto& w : entries_)
    if (auto n = w.lock()) live.push_back(std::move(n));
  return live;
}

std::int64_t Tape::size() const {
  return std::count_if(entries_.begin(), entries_.end(),
                       [](const std::weak_ptr<Node>& w) { return !w.expired(); });
}

void Tape::clear() {
  for (const auto& n : entries()) n->release();
  entries_.clear();
  next_index_ = 0;
  compact_at_ = 64;
}

namespace {
std::int64_t bytes_of(const Tensor& t) {
  return t.defined() ? t.numel() * static_cast<std::int64_t>(dtype_size(t.dtype())) : 0;
}

// Bytes an entry keeps alive for its backward: the inputs / output it reads, and extra tensors.
std::int64_t saved_bytes(const Node& n) {
  std::int64_t bytes = 0;
  for (std::size_t i = 0; i < n.inputs.size(); ++i)
    if (saves_input(n.saves, i)) bytes += bytes_of(n.inputs[i].node->value);
  if (n.saves & kSaveOut) bytes += bytes_of(n.value);
  for (const SavedTensor& s : n.saved) bytes += bytes_of(s.tensor);
  return bytes;
}
}  // namespace

std::string Tape::to_string() const {
  std::ostringstream out;
  for (const auto& n : entries()) {
    out << "#" << n->index << "  " << n->op << "(";
    for (std::size_t i = 0; i < n->inputs.size(); ++i)
      out << (i ? ", " : "") << shape_str(n->inputs[i].node->value.shape());
    out << ") -> " << shape_str(n->value.shape());
    if (!n->name.empty()) out << " '" << n->name << "'";
    if (n->released)
      out << "  released";
    else
      out << "  saved " << saved_bytes(*n) << " B";
    out << "\n";
  }
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Tape& tape) { return out << tape.to_string(); }

}  // namespace wengert
