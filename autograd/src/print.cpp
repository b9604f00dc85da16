// Printing the autograd's objects: a node in error messages, the tape, a Var. Not needed to
// follow the engine.
#include <sstream>
#include <wengert/autograd/tape.hpp>

namespace wengert {

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

namespace {
std::int64_t bytes_of(const Tensor& t) {
  return t.defined() ? t.numel() * static_cast<std::int64_t>(dtype_size(t.dtype())) : 0;
}

// Bytes an entry keeps alive for its backward: the inputs / output it reads, and extra tensors.
std::int64_t saved_bytes(const Node& n) {
  std::int64_t bytes = 0;
  for (std::size_t i = 0; i < n.inputs.size(); ++i)
    if (saves_input(n.saved.values, i)) bytes += bytes_of(n.inputs[i].node->value);
  if (n.saved.values & kSaveOut) bytes += bytes_of(n.value);
  for (const SavedTensor& s : n.saved.extra) bytes += bytes_of(s.tensor);
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
    if (n->released())
      out << "  released";
    else
      out << "  saved " << saved_bytes(*n) << " B";
    out << "\n";
  }
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Tape& tape) { return out << tape.to_string(); }

std::ostream& operator<<(std::ostream& out, const Var& v) {
  if (!v.defined()) return out << "Var(undefined)";
  out << "Var(";
  if (!v.name().empty()) out << "'" << v.name() << "', ";
  out << v.op() << ", " << v.value();
  if (v.requires_grad()) out << ", requires_grad";
  return out << ")";
}

}  // namespace wengert
