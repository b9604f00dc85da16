// Losses and dropout. cross_entropy is fused (one pass, one saved [N, C] tensor of probabilities)
// with a hand-written backward; nll_loss and dropout are compositions, and
// nll_loss(log_softmax(x)) is the composed twin the tests compare cross_entropy against.
//   Shapes: N rows (all leading axes flattened), C classes.
#include <cmath>
#include <limits>
#include <wengert/autograd/node.hpp>
#include <wengert/autograd/ops.hpp>

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

std::int64_t count_valid(const Rows& r, std::int64_t ignore_index) {
  const std::int64_t* t = r.targets.data<std::int64_t>();
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < r.n; ++i) count += t[i] != ignore_index;
  return count;
}
}  // namespace

// loss_i = logsumexp(x_i) - x_i[t_i] = -log_softmax(x_i)[t_i];  dx_i = (softmax(x_i) - onehot(t_i))
// * s_i where s_i is dy_i (none), dy (sum) or dy / count (mean), and 0 for an ignored row.
Var cross_entropy(const Var& logits, const Tensor& targets, const LossOptions& options) {
  Rows r = flatten_rows("cross_entropy", logits, targets, options);
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
  struct Params {
    Reduction reduction;
    std::int64_t ignore_index, count;
  };
  return record("cross_entropy", std::move(y), {logits}, kSaveNone,
                [p = Params{options.reduction, options.ignore_index, count}](BackwardCtx& c) {
                  const Tensor &probs = c.saved(0), &tgt = c.saved(1);
                  const std::int64_t n = probs.size(0), classes = probs.size(1);
                  const Tensor dy = c.dout.contiguous();
                  Tensor dx = Tensor::empty({n, classes}, probs.dtype());
                  visit_floating("cross_entropy", probs.dtype(), [&]<class T>() {
                    const T* prob = probs.data<T>();
                    const T* dloss = dy.data<T>();
                    const std::int64_t* t = tgt.data<std::int64_t>();
                    T* d = dx.data<T>();
                    for (std::int64_t i = 0; i < n; ++i) {
                      T s = p.reduction == Reduction::none ? dloss[i] : dloss[0];
                      if (p.reduction == Reduction::mean) s /= static_cast<T>(p.count);
                      if (t[i] == p.ignore_index) s = 0;
                      for (std::int64_t k = 0; k < classes; ++k)
                        d[i * classes + k] = prob[i * classes + k] * s;
                      if (t[i] != p.ignore_index) d[i * classes + t[i]] -= s;
                    }
                  });
                  c.add(0, dx.reshape(c.in_shape(0)));
                },
                {exp(log_probs), r.targets});
}

// loss_i = -log_probs[i, t_i], composed from gather and a constant mask over ignored rows.
Var nll_loss(const Var& log_probs, const Tensor& targets, const LossOptions& options) {
  Rows r = flatten_rows("nll_loss", log_probs, targets, options);
  Tensor safe = r.targets.clone();  // ignored rows read class 0, then get weight 0
  Tensor weight = ones({r.n}, log_probs.dtype());
  std::int64_t* t = safe.data<std::int64_t>();
  for (std::int64_t i = 0; i < r.n; ++i)
    if (t[i] == options.ignore_index) {
      t[i] = 0;
      weight.select(0, i).fill_(0.0);
    }
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
