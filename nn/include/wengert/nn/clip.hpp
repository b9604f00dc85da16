// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_. Parameters whose grad
// is undefined are skipped. The clipped gradients are fresh tensors set with Var::set_grad, so a
// gradient tensor shared with anything else is never changed behind its back.
#pragma once

#include <vector>
#include <wengert/autograd.hpp>

namespace wengert::nn {

// total = sqrt(sum over all gradient elements of g^2), accumulated in double; returns total (the
// norm before clipping). With clip_coef = max_norm / (total + 1e-6), every gradient is scaled by
// clip_coef when clip_coef < 1. A NaN or infinite total leaves the gradients alone.
double clip_grad_norm(const std::vector<Var>& params, double max_norm);

// Clamps every gradient element into [-clip_value, clip_value].
void clip_grad_value(const std::vector<Var>& params, double clip_value);

}  // namespace wengert::nn
