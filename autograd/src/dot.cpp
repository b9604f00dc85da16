// Graphviz DOT of the graph reachable from some roots: one box per op entry, one ellipse per leaf,
// edges from input to consumer labelled with the input's shape.
#include <sstream>
#include <unordered_map>
#include <wengert/autograd/dot.hpp>
#include <wengert/autograd/node.hpp>

namespace wengert {

namespace {
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}
}  // namespace

std::string to_dot(const std::vector<Var>& roots) {
  std::ostringstream out;
  out << "digraph wengert {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  std::unordered_map<const Node*, int> ids;
  std::vector<const Node*> stack;
  auto id_of = [&](const Node* n) {
    auto [it, inserted] = ids.emplace(n, static_cast<int>(ids.size()));
    if (inserted) stack.push_back(n);
    return it->second;
  };
  for (const Var& r : roots)
    if (r.defined()) id_of(r.node().get());
  while (!stack.empty()) {  // iterative DFS: graphs can be thousands of entries deep
    const Node* n = stack.back();
    stack.pop_back();
    const int id = ids.at(n);
    const std::string name = n->name.empty() ? "" : " '" + escape(n->name) + "'";
    if (!n->is_leaf()) {
      out << "  n" << id << " [shape=box, label=\"#" << n->index << " " << n->op << name
          << (n->released() ? " (released)" : "") << "\"];\n";
    } else {
      out << "  n" << id << " [shape=ellipse, "
          << (n->requires_grad ? "peripheries=2, label=\"leaf" : "style=dashed, label=\"const")
          << name << " " << shape_str(n->value.shape()) << "\"];\n";
    }
    for (const Edge& e : n->inputs) {
      const int from = id_of(e.node.get());
      out << "  n" << from << " -> n" << id << " [label=\"" << shape_str(e.node->value.shape())
          << "\"];\n";
    }
  }
  // The roots' own values, so the output shape shows too.
  for (std::size_t i = 0; i < roots.size(); ++i) {
    if (!roots[i].defined() || roots[i].is_leaf()) continue;
    out << "  out" << i << " [shape=plaintext, label=\"output " << shape_str(roots[i].shape())
        << "\"];\n  n" << ids.at(roots[i].node().get()) << " -> out" << i << ";\n";
  }
  out << "}\n";
  return out.str();
}

}  // namespace wengert
