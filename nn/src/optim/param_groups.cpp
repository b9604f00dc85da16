// split_decay: which parameters of a module take weight decay (see decay_groups in optim.hpp).
#include <wengert/nn/module.hpp>
#include <wengert/nn/normalization.hpp>
#include <wengert/nn/optim.hpp>

namespace wengert::nn {

namespace {
void split(const Module& m, bool in_norm, DecaySplit& out) {
  const bool norm = in_norm || dynamic_cast<const LayerNorm*>(&m) != nullptr;
  for (const auto& [name, p] : m.named_parameters()) {
    if (name.find('.') != std::string::npos) continue;  // a sub-module's: visited below
    (norm || name.starts_with("bias") ? out.no_decay : out.decay).push_back(p);
  }
  for (const auto& [name, child] : m.children()) split(*child, norm, out);
}
}  // namespace

DecaySplit split_decay(const Module& module) {
  DecaySplit out;
  split(module, false, out);
  return out;
}

}  // namespace wengert::nn
