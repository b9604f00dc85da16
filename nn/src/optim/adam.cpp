// Adam and AdamW as torch.optim.Adam / AdamW (Kingma & Ba; Loshchilov & Hutter), t = step count
// of this parameter:
//   AdamW: w <- w * (1 - lr * weight_decay)     Adam: g <- g + weight_decay * w
//   m <- beta1 * m + (1 - beta1) * g            v <- beta2 * v + (1 - beta2) * g^2
//   w <- w - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
#include <cmath>

#include "update.hpp"
#include "wengert/nn/optim.hpp"

namespace wengert::nn {

Adam::Adam(std::vector<Var> params, AdamOptions options)
    : Adam(std::move(params), options, false) {}

Adam::Adam(std::vector<Var> params, AdamOptions options, bool decoupled)
    : Optimizer(std::move(params)), options_(options), decoupled_(decoupled) {
  const char* name = decoupled ? "AdamW" : "Adam";
  set_lr(options.lr);
  check(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1, name,
        ": betas must lie in [0, 1), got ", options.beta1, ", ", options.beta2);
  check(options.eps >= 0 && options.weight_decay >= 0, name, ": eps and weight_decay must be >= 0");
  declare_buffers({"exp_avg", "exp_avg_sq"});
}

void Adam::step() {
  NoGradGuard no_grad;
  const double lr = this->lr();
  const AdamOptions& o = options_;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Var& p = params_[i];
    if (!p.grad().defined()) continue;
    Tensor& exp_avg = buffer(0, i);
    Tensor& exp_avg_sq = buffer(1, i);
    if (!exp_avg.defined()) exp_avg = zeros(p.shape(), p.dtype());
    if (!exp_avg_sq.defined()) exp_avg_sq = zeros(p.shape(), p.dtype());
    const auto t = static_cast<double>(steps_[i] + 1);
    // Scalars in double, as PyTorch computes them in Python floats.
    const double step_size = lr / (1 - std::pow(o.beta1, t));
    const double bias_correction2_sqrt = std::sqrt(1 - std::pow(o.beta2, t));
    detail::update_parameter(decoupled_ ? "AdamW" : "Adam", i, p,
                             [&]<class T>(T* w, const T* g, std::int64_t n) {
                               T* m = exp_avg.data<T>();
                               T* v = exp_avg_sq.data<T>();
                               const T decay = T(1 - lr * o.weight_decay), wd = T(o.weight_decay);
                               const T b1 = T(o.beta1), b2 = T(o.beta2);
                               const T c1 = T(1 - o.beta1), c2 = T(1 - o.beta2);
                               const T bc2 = T(bias_correction2_sqrt), eps = T(o.eps);
                               const T a = T(step_size);
                               for (std::int64_t j = 0; j < n; ++j) {
                                 T d = g[j];
                                 if (decoupled_) {
                                   w[j] *= decay;
                                 } else if (o.weight_decay != 0) {
                                   d += wd * w[j];
                                 }
                                 m[j] = b1 * m[j] + c1 * d;
                                 v[j] = b2 * v[j] + c2 * d * d;
                                 w[j] -= a * (m[j] / (std::sqrt(v[j]) / bc2 + eps));
                               }
                             });
    ++steps_[i];
  }
}

AdamW::AdamW(std::vector<Var> params, AdamWOptions options)
    : Adam(std::move(params),
           AdamOptions{options.lr, options.beta1, options.beta2, options.eps, options.weight_decay},
           true) {}

}  // namespace wengert::nn
