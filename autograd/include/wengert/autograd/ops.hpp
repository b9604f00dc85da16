// The calculus of wengert: every differentiable op, one line each, with its derivative.
// Notation: y the output, dy = d(loss)/dy, dx the gradient of input x; [p] is 1 where p holds.
// Broadcasting is undone once, by the engine (BackwardCtx::add sums a gradient down to its input's
// shape with sum_to), so no rule below mentions it. "(composed)" ops have no rule of their own:
// they are built from the others. Hand-written rules for numerics or speed name their composed
// twin, which the tests check they agree with. Sources: src/ops_<family>.cpp, forward and backward
// side by side. Every rule is written once with these same ops (a generic lambda, record.hpp), so
// it is differentiable again under create_graph: every op here has second derivatives
// (gradgradcheck table in tests/autograd/test_ops.cpp).
#pragma once

#include <cstdint>
#include <vector>
#include <wengert/tensor.hpp>

#include "var.hpp"

namespace wengert {

// clang-format off
// --- arithmetic, broadcasting (ops_elementwise.cpp) ---
Var add(const Var& a, const Var& b);  // y = a + b    da = dy                 db = dy
Var sub(const Var& a, const Var& b);  // y = a - b    da = dy                 db = -dy
Var mul(const Var& a, const Var& b);  // y = a * b    da = dy * b             db = dy * a
Var div(const Var& a, const Var& b);  // y = a / b    da = dy / b             db = -dy * y / b
Var pow(const Var& a, const Var& b);  // y = a^b      da = dy * b * a^(b-1)   db = dy * y * ln(a) [a > 0]
Var pow(const Var& x, double p);      // y = x^p      dx = dy * p * x^(p-1)
Var add(const Var& x, double s);      // y = x + s    dx = dy
Var mul(const Var& x, double s);      // y = x * s    dx = dy * s
Var neg(const Var& x);                // y = -x       dx = -dy
// (composed) operators, with a Var or a double on either side; s / x = s * x^-1.
Var operator+(const Var& a, const Var& b);
Var operator-(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);
Var operator/(const Var& a, const Var& b);
Var operator-(const Var& x);
Var operator+(const Var& x, double s);
Var operator+(double s, const Var& x);
Var operator-(const Var& x, double s);
Var operator-(double s, const Var& x);
Var operator*(const Var& x, double s);
Var operator*(double s, const Var& x);
Var operator/(const Var& x, double s);
Var operator/(double s, const Var& x);
// (composed) mixed operators: the Tensor is a constant (no gradient flows into it).
Var operator+(const Var& a, const Tensor& b);
Var operator+(const Tensor& a, const Var& b);
Var operator-(const Var& a, const Tensor& b);
Var operator-(const Tensor& a, const Var& b);
Var operator*(const Var& a, const Tensor& b);
Var operator*(const Tensor& a, const Var& b);
Var operator/(const Var& a, const Tensor& b);
Var operator/(const Tensor& a, const Var& b);

// --- unary (ops_elementwise.cpp) ---
Var exp(const Var& x);                          // y = e^x              dx = dy * y
Var log(const Var& x);                          // y = ln x             dx = dy / x
Var sqrt(const Var& x);                         // y = sqrt x           dx = dy / (2 y)
Var tanh(const Var& x);                         // y = tanh x           dx = dy * (1 - y^2)
Var sigmoid(const Var& x);                      // y = 1 / (1 + e^-x)   dx = dy * y * (1 - y)    twin: composed
Var relu(const Var& x);                         // y = max(x, 0)        dx = dy * [y > 0]
Var abs(const Var& x);                          // y = |x|              dx = dy * sign(x)
Var clamp(const Var& x, double lo, double hi);  // y = min(max(x, lo), hi)   dx = dy * [lo <= x <= hi]
Var clamp_min(const Var& x, double lo);         // (composed) clamp(x, lo, inf)
Var clamp_max(const Var& x, double hi);         // (composed) clamp(x, -inf, hi)
Var log1p(const Var& x);                        // y = ln(1 + x)        dx = dy / (1 + x)
Var expm1(const Var& x);                        // y = e^x - 1          dx = dy * (y + 1)
Var sin(const Var& x);                          // y = sin x            dx = dy * cos x
Var cos(const Var& x);                          // y = cos x            dx = -dy * sin x
Var erf(const Var& x);                          // y = erf x            dx = dy * 2 / sqrt(pi) * e^(-x^2)
Var round(const Var& x);                        // halves to even       dx = 0 (as PyTorch)
Var floor(const Var& x);                        //                      dx = 0
Var ceil(const Var& x);                         //                      dx = 0

// --- activations (ops_activation.cpp), all (composed) ---
enum class GeluApproximation { none, tanh };
Var silu(const Var& x);                                       // x * sigmoid(x)
Var leaky_relu(const Var& x, double negative_slope = 0.01);   // x > 0 ? x : slope * x
Var elu(const Var& x, double alpha = 1.0);                    // x > 0 ? x : alpha * expm1(x)
Var softplus(const Var& x, double beta = 1.0, double threshold = 20.0);  // beta x > threshold ? x : log1p(e^(beta x)) / beta
Var gelu(const Var& x, GeluApproximation approximate = GeluApproximation::none);  // x/2 (1 + erf(x/sqrt2)), or the tanh form

// cond is a tensor (no gradient); all three broadcast together.
Var where(const Tensor& cond, const Var& a, const Var& b);  // y = cond ? a : b   da = cond ? dy : 0   db = cond ? 0 : dy
// Ties split the gradient evenly between a and b, like PyTorch.
Var maximum(const Var& a, const Var& b);  // da = dy * ([a > b] + [a == b] / 2)   db = dy - da
Var minimum(const Var& a, const Var& b);  // da = dy * ([a < b] + [a == b] / 2)   db = dy - da

// --- reductions; empty axes = all axes (ops_reduce.cpp) ---
Var sum(const Var& x, const Axes& axes = {}, bool keepdim = false);        // dx = dy expanded to x's shape
Var sum_to(const Var& x, const Shape& shape);                              // (composed) sum over the broadcast axes, reshape
Var mean(const Var& x, const Axes& axes = {}, bool keepdim = false);       // (composed) sum(x) / n
Var max(const Var& x, const Axes& axes = {}, bool keepdim = false);        // dx = dy * [x == y] / #ties (ties share, like torch.amax)
Var min(const Var& x, const Axes& axes = {}, bool keepdim = false);        // (composed) -max(-x): ties share, like torch.amin
// correction 1: unbiased (torch's default), 0: population
Var var(const Var& x, const Axes& axes = {}, std::int64_t correction = 1, bool keepdim = false);  // (composed) sum((x - mean)^2) / (n - correction)
Var stddev(const Var& x, const Axes& axes = {}, std::int64_t correction = 1, bool keepdim = false);  // (composed) sqrt(var); torch.std
Var cumsum(const Var& x, std::int64_t axis, bool reverse = false);        // dx = cumsum(dy, axis, !reverse): y_j = sum_{i<=j} x_i (reverse: i>=j)
// Like torch.max(x, dim): one entry with two outputs, the values and their i64 indices (the first
// extremum); the gradient goes to the returned index only (unlike max/min above, where ties share).
struct ValuesIndices {
  Var values;
  Tensor indices;
};
ValuesIndices max_with_indices(const Var& x, std::int64_t axis, bool keepdim = false);  // dx = scatter_add(x.shape, axis, indices, dy)
ValuesIndices min_with_indices(const Var& x, std::int64_t axis, bool keepdim = false);  // the same at argmin
Var logsumexp(const Var& x, const Axes& axes = {}, bool keepdim = false);  // dx = dy * e^(x - y)              twin: log(sum(exp(x)))
Var softmax(const Var& x, std::int64_t axis = -1);                         // dx = y * (dy - sum(dy * y, axis))  twin: exp(x - logsumexp(x))
Var log_softmax(const Var& x, std::int64_t axis = -1);                     // dx = dy - e^y * sum(dy, axis)      twin: x - logsumexp(x)

// --- normalisation (ops_norm.cpp) ---
// torch.nn.functional.layer_norm over the trailing axes given by normalized_shape (x must end in
// it); weight and bias [normalized_shape] may be undefined. sigma = sqrt(var + eps), var biased.
// y = xhat * weight + bias, xhat = (x - mean) / sigma
//   dx = (g - mean(g) - xhat * mean(g * xhat)) / sigma, g = dy * weight   dweight = dy * xhat   dbias = dy
Var layer_norm(const Var& x, const Shape& normalized_shape, const Var& weight = {},
               const Var& bias = {}, double eps = 1e-5);                  // fused, twin: layer_norm_composed
Var layer_norm_composed(const Var& x, const Shape& normalized_shape, const Var& weight = {},
                        const Var& bias = {}, double eps = 1e-5);         // (composed) mean, sub, sqrt, div

// --- linear algebra and indexing (ops_linalg.cpp) ---
// NumPy matmul: 1-d operands promoted then squeezed, batch axes broadcast (and summed in backward).
Var matmul(const Var& a, const Var& b);                                  // da = dy @ b^T   db = a^T @ dy
// index is i64 of any shape; embedding lookup is index_select(weight, 0, ids).
Var index_select(const Var& x, std::int64_t axis, const Tensor& index);  // dx = index_add(x.shape, axis, index, dy)
Var gather(const Var& x, std::int64_t axis, const Tensor& index);        // dx = scatter_add(x.shape, axis, index, dy)
// Their adjoints (the backward rules above use them, so they are differentiable too):
Var index_add(const Shape& shape, std::int64_t axis, const Tensor& index, const Var& src);    // dsrc = index_select(dy, axis, index)
Var scatter_add(const Shape& shape, std::int64_t axis, const Tensor& index, const Var& src);  // dsrc = gather(dy, axis, index)

// --- views and joins: the gradient goes back into the viewed layout (ops_shape.cpp) ---
Var reshape(const Var& x, const Shape& shape);                        // dx = dy.reshape(x.shape)
Var flatten(const Var& x);                                            // (composed) reshape
Var permute(const Var& x, const std::vector<std::int64_t>& order);    // dx = dy.permute(inverse order)
Var transpose(const Var& x, std::int64_t a, std::int64_t b);          // (composed) permute
Var slice(const Var& x, std::int64_t axis, std::int64_t start,
          std::int64_t stop, std::int64_t step = 1);                  // dx = 0, dx[slice] = dy
Var narrow(const Var& x, std::int64_t axis, std::int64_t start,
           std::int64_t length);                                      // (composed) slice
Var select(const Var& x, std::int64_t axis, std::int64_t index);      // dx = 0, dx[.., index, ..] = dy
Var expand(const Var& x, const Shape& shape);                         // dx = sum_to(dy, x.shape)
// zeros of `shape` with src at [start:stop:step] along axis: the adjoint of slice (its backward)
Var slice_scatter(const Var& src, const Shape& shape, std::int64_t axis, std::int64_t start,
                  std::int64_t stop, std::int64_t step = 1);          // dsrc = slice(dy, axis, start, stop, step)
Var squeeze(const Var& x, std::int64_t axis);                         // (composed) reshape
Var unsqueeze(const Var& x, std::int64_t axis);                       // (composed) reshape
Var tril(const Var& x, std::int64_t diagonal = 0);                   // (composed) x * [j - i <= diagonal] on the last two axes
Var triu(const Var& x, std::int64_t diagonal = 0);                   // (composed) x * [j - i >= diagonal]
Var concat(const std::vector<Var>& parts, std::int64_t axis = 0);     // dparts[i] = dy.narrow(axis, offset_i, size_i)
Var stack(const std::vector<Var>& parts, std::int64_t axis = 0);      // (composed) concat of unsqueeze
std::vector<Var> split(const Var& x, std::int64_t size, std::int64_t axis = 0);                       // (composed) slice
std::vector<Var> split(const Var& x, const std::vector<std::int64_t>& sizes, std::int64_t axis = 0);  // (composed) slice
std::vector<Var> chunk(const Var& x, std::int64_t chunks, std::int64_t axis = 0);                     // (composed) split

// --- losses and regularisation (ops_loss.cpp) ---
enum class Reduction { mean, sum, none };
struct LossOptions {
  Reduction reduction = Reduction::mean;  // mean: over the targets that are not ignored
  std::int64_t ignore_index = -100;       // targets equal to this contribute nothing
  // cross_entropy only, with PyTorch's semantics (then computed by the composed twin):
  Tensor weight = Tensor();               // [C] class weights: row i counts w[t_i]; mean divides by sum w[t_i]
  double label_smoothing = 0.0;  // eps: loss_i = (1 - eps) nll_i + eps / C * sum_c w_c (-log p_ic)
};
// Scores [N, C] (or [..., C]), targets i64 [N] (or [...]) in [0, C).
// Fused, one pass:  y = mean_i(logsumexp(x_i) - x_i[t_i])   dx = (softmax(x) - one_hot(t)) * dy / count
//                                                           twin: nll_loss(log_softmax(x), t)
Var cross_entropy(const Var& logits, const Tensor& targets, const LossOptions& options = {});
// y = mean_i(-log_probs[i, t_i])   (composed) gather, a constant mask for ignored rows, sum
Var nll_loss(const Var& log_probs, const Tensor& targets, const LossOptions& options = {});
// Inverted dropout: y = x * mask / (1 - p), mask ~ Bernoulli(1 - p); x itself when !training.
Var dropout(const Var& x, double p, Generator& gen, bool training = true);  // (composed) mul
// clang-format on

}  // namespace wengert
