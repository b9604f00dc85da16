// Losses and dropout. cross_entropy is fused (one pass, one saved [N, C] tensor of probabilities)
// with a hand-written backward; nll_loss and dropout are compositions, and
// nll_loss(log_softmax(x)) is the composed twin the tests compare cross_entropy against.
//   Shapes: N rows (all leading axes flattened), C classes.
#include <cmath>
#include <limits>
#include <wengert/autograd/ops.hpp>
#include <wengert/autograd/record.hpp>

#include "rule_ops.hpp"

namespace wengert {

namespace {
struct Rows {
  std::int64_t n, classes;
  Tensor targets;  // i64 [N], contiguous
};

// Flattens logits [..., C] / targets [...] to N rows and checks every target.
Rows flatten_rows(const char* op, const Var& x, const Tensor& targets, const LossOptions& o) {
  if (x.dim() < 1) fail(op, ": needs scores of shape [N, C], got ", shape_str(x.shape()));
  check(targets.dtype() == DType::i64, op, ": targets must be i64, got ",
        dtype_name(targets.dtype()));
  const Shape lead(x.shape().begin(), x.shape().end() - 1);
  if (targets.shape() != lead)
    fail(op, ": scores ", shape_str(x.shape()), " need targets of shape ", shape_str(lead),
         ", got ", shape_str(targets.shape()));
  Rows r{numel_of(lead), x.size(-1), targets.reshape({-1}).contiguous()};
  const std::int64_t* t = r.targets.data<std::int64_t>();
  for (std::int64_t i = 0; i < r.n; ++i)
    check(t[i] == o.ignore_index || (t[i] >= 0 && t[i] < r.classes), op, ": target ", t[i],
          " at row ", i, " is outside [0, ", r.classes, ")");
  return r;
}

// The targets with ignored rows pointed at class 0 (so that gather and one_hot stay in range),
// and a per-row weight [N] of `unit`, or 0 for an ignored row. One loop over raw data: this runs
// on every training step, once per row.
struct RowMask {
  Tensor safe_targets;  // i64 [N]
  Tensor weight;        // [N], dtype of the scores
};
RowMask mask_ignored(const char* op, const Rows& r, std::int64_t ignore_index, double unit,
                     DType dtype) {
  RowMask m{r.targets.clone(), zeros({r.n}, dtype)};
  visit_floating(op, dtype, [&]<class T>() {
    std::int64_t* t = m.safe_targets.data<std::int64_t>();
    T* w = m.weight.data<T>();
    for (std::int64_t i = 0; i < r.n; ++i) {
      if (t[i] == ignore_index)
        t[i] = 0;
      else
        w[i] = static_cast<T>(unit);
    }
  });
  return m;
}

std::int64_t count_valid(const Rows& r, std::int64_t ignore_index) {
  const std::int64_t* t = r.targets.data<std::int64_t>();
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < r.n; ++i) count += t[i] != ignore_index;
  return count;
}

// Class weights and label smoothing, composed (PyTorch's formula, see LossOptions):
//   loss_i = w[t_i] (1 - eps) (-lp[i, t_i]) + eps / C * sum_c w_c (-lp[i, c]),  lp = log_softmax(x)
// summed, or divided by sum_i w[t_i] over the rows not ignored (mean).
Var weighted_cross_entropy(const Var& logits, const Rows& r, const Tensor& targets,
                           const LossOptions& o) {
  const double eps = o.label_smoothing;
  check(eps >= 0.0 && eps <= 1.0, "cross_entropy: label_smoothing must be in [0, 1], got ", eps);
  Tensor weight = o.weight.defined() ? o.weight : ones({r.classes}, logits.dtype());
  if (weight.shape() != Shape{r.classes} || !is_floating(weight.dtype()))
    fail("cross_entropy: weight must be a floating tensor of shape [", r.classes, "], got ",
         dtype_name(weight.dtype()), " ", shape_str(weight.shape()));
  weight = weight.to(logits.dtype());
  const auto [safe, valid] = mask_ignored("cross_entropy", r, o.ignore_index, 1.0, logits.dtype());
  const Tensor row_weight = index_select(weight, 0, safe) * valid;  // w[t_i], 0 when ignored
  const Var lp = log_softmax(reshape(logits, {r.n, r.classes}), -1);
  const Var picked = reshape(gather(lp, 1, safe.reshape({r.n, 1})), {r.n});
  Var losses = -(picked * row_weight) * (1.0 - eps);
  if (eps > 0.0)
    losses = losses - sum(lp * weight, {1}) * valid * (eps / static_cast<double>(r.classes));
  switch (o.reduction) {
    case Reduction::none:
      return reshape(losses, targets.shape());
    case Reduction::sum:
      return sum(losses);
    case Reduction::mean:
      break;
  }
  return sum(losses) / Var(sum(row_weight));
}
}  // namespace

// loss_i = logsumexp(x_i) - x_i[t_i] = -log_softmax(x_i)[t_i];  dx_i = (softmax(x_i) - onehot(t_i))
// * s_i where s_i is dy_i (none), dy (sum) or dy / count (mean), and 0 for an ignored row.
Var cross_entropy(const Var& logits, const Tensor& targets, const LossOptions& options) {
  Rows r = flatten_rows("cross_entropy", logits, targets, options);
  if (options.weight.defined() || options.label_smoothing != 0.0)
    return weighted_cross_entropy(logits, r, targets, options);
  const std::int64_t count = count_valid(r, options.ignore_index);
  const Tensor log_probs = log_softmax(logits.value().reshape({r.n, r.classes}), -1).contiguous();
  Tensor losses = zeros({r.n}, logits.dtype());
  visit_floating("cross_entropy", logits.dtype(), [&]<class T>() {
    const T* lp = log_probs.data<T>();
    const std::int64_t* t = r.targets.data<std::int64_t>();
    T* out = losses.data<T>();
    for (std::int64_t i = 0; i < r.n; ++i)
      if (t[i] != options.ignore_index) out[i] = -lp[i * r.classes + t[i]];
  });
  Tensor y;
  switch (options.reduction) {
    case Reduction::none:
      y = losses.reshape(targets.shape());
      break;
    case Reduction::sum:
      y = sum(losses);
      break;
    case Reduction::mean:
      y = sum(losses) /
          static_cast<double>(count);  // 0 / 0 = NaN when all are ignored, as in PyTorch
      break;
  }
  // Per-row weight of dy in dx: 0 for an ignored row, 1 / count under the mean, else 1. Ignored
  // rows read class 0 of the one-hot, then get weight 0.
  const double unit = options.reduction == Reduction::mean ? 1.0 / static_cast<double>(count) : 1.0;
  auto [safe, row_weight] =
      mask_ignored("cross_entropy", r, options.ignore_index, unit, logits.dtype());
  const bool per_row = options.reduction == Reduction::none;
  // dx = (softmax(x) - one_hot(t)) * dy * weight; under create_graph softmax(x) is recomputed
  // from x so the gradient is differentiable again.
  return record(
      "cross_entropy", std::move(y), {logits}, kSaveIn0,
      [per_row, n = r.n, classes = r.classes](auto& c) {
        const auto probs = c.saved_or("probs", [&] {
          return softmax(reshape(c.in(0), {n, classes}), -1);
        });
        const Tensor& weight = c.saved("row_weight");
        const Tensor target = one_hot(c.saved("targets"), classes, weight.dtype());
        const auto dy = per_row ? reshape(c.dout, {n, 1}) : c.dout;
        c.add(0, reshape((probs - target) * (dy * weight), c.in_shape(0)));
      },
      {{"probs", exp(log_probs)}, {"targets", safe}, {"row_weight", row_weight.reshape({r.n, 1})}});
}

// loss_i = -log_probs[i, t_i], composed from gather and a constant mask over ignored rows.
Var nll_loss(const Var& log_probs, const Tensor& targets, const LossOptions& options) {
  Rows r = flatten_rows("nll_loss", log_probs, targets, options);
  const auto [safe, weight] =
      mask_ignored("nll_loss", r, options.ignore_index, 1.0, log_probs.dtype());
  const std::int64_t count = count_valid(r, options.ignore_index);
  const Var picked = gather(reshape(log_probs, {r.n, r.classes}), 1, safe.reshape({r.n, 1}));
  const Var losses = -(reshape(picked, {r.n}) * Var(weight));
  switch (options.reduction) {
    case Reduction::none:
      return reshape(losses, targets.shape());
    case Reduction::sum:
      return sum(losses);
    case Reduction::mean:
      break;
  }
  return sum(losses) * (1.0 / static_cast<double>(count));
}

Var dropout(const Var& x, double p, Generator& gen, bool training) {
  check(p >= 0.0 && p <= 1.0, "dropout: p must be in [0, 1], got ", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;
  const Tensor keep = lt(uniform(x.shape(), 0.0, 1.0, gen, x.dtype()), scalar(1.0 - p, x.dtype()));
  return x * Var(keep * (1.0 / (1.0 - p)));
}

}  // namespace wengert
