// Graphviz export of a recorded graph: `dot -Tsvg graph.dot -o graph.svg`.
// Op entries are boxes ("#index op"), leaves are ellipses (double border when requires_grad,
// dashed for constants), edges run from input to consumer labelled with the input's shape.
#pragma once

#include <string>
#include <vector>

#include "var.hpp"

namespace wengert {

// The graph reachable from `roots` (each root is also drawn as an output value).
std::string to_dot(const std::vector<Var>& roots);
inline std::string to_dot(const Var& root) { return to_dot(std::vector<Var>{root}); }

}  // namespace wengert
