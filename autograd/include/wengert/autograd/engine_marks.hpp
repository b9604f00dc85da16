// The engine's own notes on a node, kept apart from what a learner reads in Node (node.hpp). They
// sit in the node itself so that the sweep finds a node's gradient slot, and the tape its owner,
// without a hash lookup per op; no rule and no user code reads them.
#pragma once

#include <cstdint>

namespace wengert::detail {

// Tapes and sweeps are numbered from kFirstId, so a mark of 0 means "none yet": a new node never
// matches the running sweep.
inline constexpr std::uint32_t kFirstId = 1;

struct EngineMarks {
  std::uint32_t tape = 0;   // the recording thread's tape (tape.cpp)
  std::uint32_t sweep = 0;  // the last sweep that gave the node a gradient ... (backward.cpp)
  std::uint32_t slot = 0;   // ... and where that sweep keeps it
  bool has_hooks = false;   // the hooks themselves live in a table in hooks.cpp
};

}  // namespace wengert::detail
