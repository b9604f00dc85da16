// Freeing the graph behind a value without recursion (free_graph.cpp): node.cpp's helper.
#pragma once

#include <wengert/autograd/edges.hpp>

namespace wengert::detail {

// Clears `inputs`, freeing every node only they kept alive, and so on up the graph, in a loop
// rather than one nested destructor per node.
void drop_inputs(Edges& inputs);

}  // namespace wengert::detail
