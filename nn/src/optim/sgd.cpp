// SGD with momentum, dampening, Nesterov and L2 weight decay, as torch.optim.SGD:
//   g <- g + weight_decay * w
//   b <- g (first step)  |  b <- momentum * b + (1 - dampening) * g
//   g <- g + momentum * b (Nesterov)  |  g <- b
//   w <- w - lr * g
#include "update.hpp"
#include "wengert/nn/optim.hpp"

namespace wengert::nn {

SGD::SGD(std::vector<Var> params, SGDOptions options)
    : SGD(std::vector<ParamGroup<SGDOptions>>{{std::move(params), options}}) {}

SGD::SGD(std::vector<ParamGroup<SGDOptions>> groups) : Optimizer(detail::params_of(groups), "SGD") {
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const SGDOptions& o = groups[g].options;
    set_initial_lr(g, o.lr);
    check(o.momentum >= 0 && o.weight_decay >= 0, "SGD: group ", g,
          ": momentum and weight_decay must be >= 0");
    check(!o.nesterov || (o.momentum > 0 && o.dampening == 0), "SGD: group ", g,
          ": Nesterov momentum requires a momentum and zero dampening");
    options_.push_back(o);
  }
  declare_buffers({"momentum_buffer"});
}

void SGD::step() {
  NoGradGuard no_grad;
  for (std::size_t group = 0; group < num_groups(); ++group) {
    const double lr = this->lr(group);
    const SGDOptions& o = options_[group];
    for (std::size_t i = group_begin(group); i < group_end(group); ++i) {
      const Var& p = params_[i];
      if (!p.grad().defined()) continue;
      Tensor& buf = buffer(0, i);
      const bool first = !buf.defined();
      if (o.momentum != 0 && first) buf = zeros(p.shape(), p.dtype());
      detail::update_parameter("SGD", i, p, [&]<class T>(T* w, const T* g, std::int64_t n) {
        const T wd = T(o.weight_decay), mom = T(o.momentum), damp = T(1 - o.dampening), a = T(lr);
        T* b = o.momentum != 0 ? buf.data<T>() : nullptr;
        if (b == nullptr && o.weight_decay == 0) {  // plain SGD: one branch-free, vectorized loop
          for (std::int64_t j = 0; j < n; ++j) w[j] -= a * g[j];
          return;
        }
        for (std::int64_t j = 0; j < n; ++j) {
          T d = g[j];
          if (o.weight_decay != 0) d += wd * w[j];
          if (b != nullptr) {
            b[j] = first ? d : mom * b[j] + damp * d;
            d = o.nesterov ? d + mom * b[j] : b[j];
          }
          w[j] -= a * d;
        }
      });
      ++steps_[i];
    }
  }
}

}  // namespace wengert::nn
