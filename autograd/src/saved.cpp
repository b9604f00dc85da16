// Before a rule runs: has anything it reads been modified in place since it was saved?
#include <string>
#include <wengert/autograd/node.hpp>

namespace wengert::detail {

void check_saved_versions(const Node& entry) {
  auto fail_version = [&](const std::string& what, std::uint64_t then, std::uint64_t now) {
    fail("backward: ", what, " saved by ", entry.op, " (tape #", entry.index,
         ") was modified in place after it was saved (version ", then, " -> ", now,
         "); its gradient would be wrong. Modify a clone() instead, or do the in-place update "
         "after backward.");
  };
  for (std::size_t i = 0; i < entry.inputs.size(); ++i) {
    const Edge& e = entry.inputs[i];
    if (saves_input(entry.saved.values, i) && e.node->value.version() != e.version)
      fail_version("input " + std::to_string(i) + " " + e.node->describe(), e.version,
                   e.node->value.version());
  }
  if ((entry.saved.values & kSaveOut) && entry.value.version() != entry.saved.out_version)
    fail_version("its output", entry.saved.out_version, entry.value.version());
  for (const SavedTensor& s : entry.saved.extra)
    if (s.tensor.version() != s.version)
      fail_version("saved tensor '" + s.name + "'", s.version, s.tensor.version());
}

}  // namespace wengert::detail
