// SoftmaxDecoder: the logits / log-probabilities (autograd ops) and sampling (plain tensor code in
// double, outside any graph). perplexity() lives here too, next to the log-probabilities.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>
#include <wengert/nn/decoder.hpp>
#include <wengert/nn/init.hpp>
#include <wengert/nn/layers.hpp>
#include <wengert/nn/losses.hpp>

namespace wengert::nn {

double perplexity(double mean_nll) { return std::exp(mean_nll); }

SoftmaxDecoder::SoftmaxDecoder(std::int64_t hidden, std::int64_t vocab, Generator& gen, DType dtype)
    : hidden_(hidden), vocab_(vocab) {
  check(hidden > 0 && vocab > 0, "SoftmaxDecoder: sizes must be positive, got hidden = ", hidden,
        ", vocab = ", vocab);
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
  weight_ = register_parameter("weight", init::uniform_bound({vocab, hidden}, bound, gen, dtype));
  bias_ = register_parameter("bias", init::uniform_bound({vocab}, bound, gen, dtype));
}

Var SoftmaxDecoder::forward(const Var& h) const {
  check(h.dim() >= 1 && h.size(-1) == hidden_, "SoftmaxDecoder(", hidden_, " -> ", vocab_,
        "): input ", ShapePrinter{h.shape()}, " must end in ", hidden_);
  return linear(h, weight_, bias_);  // [..., V]
}

Var SoftmaxDecoder::log_probs(const Var& h) const { return log_softmax(forward(h), -1); }

Tensor SoftmaxDecoder::sample(const Tensor& logits, const SamplingOptions& options,
                              Generator& gen) {
  check(logits.dim() == 2 && logits.size(1) > 0 && is_floating(logits.dtype()),
        "SoftmaxDecoder::sample: logits must be floating [B, V], got ", dtype_name(logits.dtype()),
        " ", ShapePrinter{logits.shape()});
  check(options.temperature >= 0.0, "SoftmaxDecoder::sample: temperature must be >= 0, got ",
        options.temperature);
  check(options.top_k >= 0, "SoftmaxDecoder::sample: top_k must be >= 0, got ", options.top_k);
  const std::int64_t rows = logits.size(0), vocab = logits.size(1);
  if (options.greedy || options.temperature == 0.0) return argmax(logits, 1);

  const std::vector<double> all = logits.to_vector<double>();
  const std::int64_t k = options.top_k == 0 ? vocab : std::min(options.top_k, vocab);
  std::vector<std::int64_t> ids(static_cast<std::size_t>(rows));
  std::vector<std::int64_t> order(static_cast<std::size_t>(vocab));
  std::vector<double> weights(static_cast<std::size_t>(k));
  for (std::int64_t b = 0; b < rows; ++b) {
    const double* row = all.data() + b * vocab;
    // The k largest logits, highest first; equal logits keep the lower id first.
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](std::int64_t a, std::int64_t c) {
                        return row[a] > row[c] || (row[a] == row[c] && a < c);
                      });
    // p_j = exp((l_j - l_max) / T) / sum over the top k
    const double top = row[order[0]];
    double total = 0.0;
    for (std::int64_t j = 0; j < k; ++j) {  // a -inf logit (a masked token) has weight 0 even at
      const double l = row[order[j]];       // T = inf, where (l - top) / T would be NaN
      weights[j] = l == -HUGE_VAL ? 0.0 : std::exp((l - top) / options.temperature);
      total += weights[j];
    }
    // Inverse CDF: the first j whose cumulative weight exceeds u * total.
    const double u = gen.uniform() * total;
    std::int64_t pick = k - 1;
    double cumulative = 0.0;
    for (std::int64_t j = 0; j < k; ++j) {
      cumulative += weights[j];
      if (u < cumulative) {
        pick = j;
        break;
      }
    }
    ids[b] = order[pick];
  }
  return from_vector<std::int64_t>(std::move(ids), {rows});
}

}  // namespace wengert::nn
