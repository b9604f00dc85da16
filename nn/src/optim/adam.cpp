// Adam and AdamW as torch.optim.Adam / AdamW (Kingma & Ba; Loshchilov & Hutter), t = step count
// of this parameter:
//   AdamW: w <- w * (1 - lr * weight_decay)     Adam: g <- g + weight_decay * w
//   m <- beta1 * m + (1 - beta1) * g            v <- beta2 * v + (1 - beta2) * g^2
//   w <- w - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
#include <cmath>

#include "update.hpp"
#include "wengert/nn/optim.hpp"

namespace wengert::nn {

namespace {
AdamOptions as_adam(const AdamWOptions& o) {
  return {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay};
}

std::vector<ParamGroup<AdamOptions>> as_adam(std::vector<ParamGroup<AdamWOptions>> groups) {
  std::vector<ParamGroup<AdamOptions>> out;
  for (auto& g : groups) out.push_back({std::move(g.params), as_adam(g.options)});
  return out;
}
}  // namespace

Adam::Adam(std::vector<Var> params, AdamOptions options)
    : Adam(std::vector<ParamGroup<AdamOptions>>{{std::move(params), options}}, false) {}

Adam::Adam(std::vector<ParamGroup<AdamOptions>> groups) : Adam(std::move(groups), false) {}

Adam::Adam(std::vector<ParamGroup<AdamOptions>> groups, bool decoupled)
    : Optimizer(detail::params_of(groups), decoupled ? "AdamW" : "Adam"), decoupled_(decoupled) {
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const AdamOptions& o = groups[g].options;
    set_initial_lr(g, o.lr);
    check(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1, kind(), ": group ", g,
          ": betas must lie in [0, 1), got ", o.beta1, ", ", o.beta2);
    check(o.eps >= 0 && o.weight_decay >= 0, kind(), ": group ", g,
          ": eps and weight_decay must be >= 0");
    options_.push_back(o);
  }
  declare_buffers({"exp_avg", "exp_avg_sq"});
}

void Adam::step() {
  NoGradGuard no_grad;
  for (std::size_t group = 0; group < num_groups(); ++group) {
    const double lr = this->lr(group);
    const AdamOptions& o = options_[group];
    for (std::size_t i = group_begin(group); i < group_end(group); ++i) {
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
      detail::update_parameter(kind(), i, p, [&]<class T>(T* w, const T* g, std::int64_t n) {
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
}

AdamW::AdamW(std::vector<Var> params, AdamWOptions options)
    : Adam(std::vector<ParamGroup<AdamOptions>>{{std::move(params), as_adam(options)}}, true) {}

AdamW::AdamW(std::vector<ParamGroup<AdamWOptions>> groups)
    : Adam(as_adam(std::move(groups)), true) {}

}  // namespace wengert::nn
