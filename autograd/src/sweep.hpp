// The engine's entry point (backward.cpp), for its two callers: backward() and grad() (grad.cpp).
#pragma once

#include <span>
#include <vector>
#include <wengert/autograd/node.hpp>

namespace wengert::detail {

// grad(): the nodes whose complete gradients a sweep hands back instead of adding them into grad().
struct Capture {
  std::vector<const Node*> nodes;
  std::vector<Var> grads;  // one per node; stays undefined if no gradient reaches it
};

// One reverse sweep from `roots`. Without a capture it adds into the leaves' grad(); with one it
// only fills capture->grads.
void run_sweep(std::span<const Var> roots, std::span<const Tensor> douts,
               const BackwardOptions& options, Capture* capture = nullptr);

}  // namespace wengert::detail
