// clip_grad_norm / clip_grad_value (torch.nn.utils.clip_grad_norm_ with norm_type 2):
//   total = ||(g_1, ..., g_k)||_2 over every element of every gradient (summed in double)
//   clip_coef = max_norm / (total + 1e-6);  g <- g * clip_coef  when clip_coef < 1
#include "wengert/nn/clip.hpp"

#include <cmath>

namespace wengert::nn {

double clip_grad_norm(const std::vector<Var>& params, double max_norm) {
  check(max_norm >= 0, "clip_grad_norm: max_norm must be >= 0, got ", max_norm);
  double sum_sq = 0;
  for (const Var& p : params) {
    if (!p.defined() || !p.grad().defined()) continue;
    sum_sq += sum_of_squares(p.grad());
  }
  const double total = std::sqrt(sum_sq);
  const double clip_coef = max_norm / (total + 1e-6);
  if (std::isfinite(total) && clip_coef < 1) {
    for (const Var& p : params) {
      if (!p.defined() || !p.grad().defined()) continue;
      p.set_grad(p.grad() * clip_coef);  // the scalar takes the gradient's dtype
    }
  }
  return total;
}

void clip_grad_value(const std::vector<Var>& params, double clip_value) {
  check(clip_value >= 0, "clip_grad_value: clip_value must be >= 0, got ", clip_value);
  for (const Var& p : params) {
    if (!p.defined() || !p.grad().defined()) continue;
    p.set_grad(clamp(p.grad(), -clip_value, clip_value));
  }
}

}  // namespace wengert::nn
