// Losses for the nn layer: the autograd's fused cross_entropy and nll_loss (ops.hpp), re-exported,
// and perplexity, the language-modelling metric.
#pragma once

#include <wengert/autograd.hpp>

namespace wengert::nn {

using wengert::cross_entropy;
using wengert::LossOptions;
using wengert::nll_loss;
using wengert::Reduction;

// exp(mean negative log-likelihood per token), in nats.
double perplexity(double mean_nll);

}  // namespace wengert::nn
