// Reductions over a set of axes. The input is walked once with the output's strides set to 0 on
// reduced axes, so each input element lands on its output slot; floating sums accumulate in double.
#include "wengert/tensor/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "detail/around_axis.hpp"
#include "detail/fold_row.hpp"
#include "detail/strided_loop.hpp"
#include "wengert/tensor/elementwise.hpp"

namespace wengert {

namespace {

struct Reduction {
  std::string_view op;  // the reduction's name, for errors
  Shape kept;           // output shape with keepdim (reduced axes have extent 1)
  Shape squeezed;       // output shape without keepdim
  Strides spread;       // output strides over the input's shape: 0 on reduced axes
};

Reduction plan_reduction(std::string_view op, const Tensor& x, const Axes& axes_in) {
  check(x.defined(), op, ": operand is an undefined tensor");
  const Axes axes = normalize_axes(op, axes_in, x.dim());
  Reduction r;
  r.op = op;
  r.kept = x.shape();
  for (auto axis : axes) r.kept[axis] = 1;
  for (std::int64_t i = 0, j = 0; i < x.dim(); ++i) {
    if (j < static_cast<std::int64_t>(axes.size()) && axes[j] == i) {
      ++j;
      continue;
    }
    r.squeezed.push_back(x.shape()[i]);
  }
  r.spread = contiguous_strides(r.kept);
  for (auto axis : axes) r.spread[axis] = 0;
  return r;
}

// Folds every input element into acc[slot] with `fold(acc, value)`, starting from `init`; a row
// that lands on one slot is folded by detail::fold_row, and its result joins the slot through
// `combine(acc, partial)`.
template <class Acc, class T, class Fold, class Combine>
std::vector<Acc> fold_into(const Tensor& x, const Reduction& r, Acc init, Fold fold,
                           Combine combine) {
  std::vector<Acc> acc(numel_of(r.kept), init);
  const T* px = static_cast<const T*>(x.storage()->data());
  detail::for_each_row<2>(
      x.shape(), {&r.spread, &x.strides()}, {0, x.offset()},
      [&](auto o, std::int64_t n, auto step) {
        const T* src = px + o[1];
        if (step[0] == 0) {  // the whole row folds into one slot
          combine(acc[o[0]], detail::fold_row(src, n, step[1], init, fold, combine));
          return;
        }
        for (std::int64_t i = 0; i < n; ++i) fold(acc[o[0] + i * step[0]], src[i * step[1]]);
      },
      /*allow_parallel=*/false);
  return acc;
}

// What a sum of T accumulates in: double for floating values; for int64, 128 bits, which hold any
// sum of fewer than 2^64 of them, so a total that fits int64 comes out exact even when a partial
// sum would not (the result is checked when it is written: result_as).
template <class T>
using SumOf = std::conditional_t<std::is_integral_v<T>, __int128, double>;

// A sum written back as T: an i64 total outside int64's range is an error, not a wrap-around.
template <class T, class Acc>
T result_as(std::string_view op, Acc value) {
  if constexpr (std::is_integral_v<T> && std::is_same_v<Acc, __int128>)
    check(value >= std::numeric_limits<T>::min() && value <= std::numeric_limits<T>::max(), op,
          ": an i64 result is outside int64's range [-2^63, 2^63 - 1]");
  return static_cast<T>(value);
}

// acc += value, for sums (of elements, and of partial sums).
constexpr auto add_to = [](auto& acc, auto value) {
  acc += static_cast<std::decay_t<decltype(acc)>>(value);
};

template <class T, class Acc>
Tensor make_output(const std::vector<Acc>& acc, const Reduction& r, bool keepdim, DType dtype) {
  Tensor out = Tensor::empty(keepdim ? r.kept : r.squeezed, dtype);
  T* p = out.data<T>();
  for (std::size_t i = 0; i < acc.size(); ++i) p[i] = result_as<T>(r.op, acc[i]);
  return out;
}

Tensor extremum(std::string_view op, const Tensor& x, const Axes& axes, bool keepdim,
                bool want_max) {
  const Reduction r = plan_reduction(op, x, axes);
  check(x.numel() > 0 || numel_of(r.kept) == 0, op, ": cannot reduce an empty tensor of shape ",
        ShapePrinter{x.shape()});
  return visit_dtype(x.dtype(), [&]<class T>() {
    const T init = want_max ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
    auto keep = [want_max](T& a, T v) {
      if (std::isnan(static_cast<double>(v)) || std::isnan(static_cast<double>(a))) {
        a = std::isnan(static_cast<double>(v)) ? v : a;  // NaN propagates
        return;
      }
      a = want_max ? std::max(a, v) : std::min(a, v);
    };
    auto acc = fold_into<T, T>(x, r, init, keep, keep);
    return make_output<T>(acc, r, keepdim, x.dtype());
  });
}

Tensor arg_extremum(std::string_view op, const Tensor& x, std::int64_t axis, bool keepdim,
                    bool want_max) {
  check(x.defined(), op, ": operand is an undefined tensor");
  axis = normalize_axis(op, axis, x.dim());
  check(x.shape()[axis] > 0, op, ": axis ", axis, " of shape ", ShapePrinter{x.shape()},
        " is empty");
  // Move the axis last (the others keep their order) and walk contiguous rows.
  std::vector<std::int64_t> order;
  for (std::int64_t i = 0; i < x.dim(); ++i)
    if (i != axis) order.push_back(i);
  order.push_back(axis);
  const Tensor rows = x.permute(order).contiguous();
  const std::int64_t length = x.shape()[axis];
  const std::int64_t count = x.numel() / length;
  Shape out_shape = rows.shape();
  out_shape.pop_back();
  Tensor out = Tensor::empty(out_shape, DType::i64);
  std::int64_t* po = out.data<std::int64_t>();
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* p = rows.data<T>();
    for (std::int64_t r = 0; r < count; ++r) {
      const T* row = p + r * length;
      std::int64_t best = 0;
      for (std::int64_t i = 1; i < length; ++i) {
        if (row[best] != row[best]) break;  // a NaN wins, like PyTorch
        if (row[i] != row[i] || (want_max ? row[i] > row[best] : row[i] < row[best])) best = i;
      }
      po[r] = best;
    }
  });
  return keepdim ? out.unsqueeze(axis) : out;
}

}  // namespace

Tensor sum(const Tensor& x, const Axes& axes, bool keepdim) {
  const Reduction r = plan_reduction("sum", x, axes);
  return visit_dtype(x.dtype(), [&]<class T>() {
    using Acc = SumOf<T>;
    auto acc = fold_into<Acc, T>(x, r, Acc(0), add_to, add_to);
    return make_output<T>(acc, r, keepdim, x.dtype());
  });
}

Tensor mean(const Tensor& x, const Axes& axes, bool keepdim) {
  check(is_floating(x.dtype()), "mean: needs a floating dtype, got ", dtype_name(x.dtype()));
  const Reduction r = plan_reduction("mean", x, axes);
  const std::int64_t out_count = numel_of(r.kept);
  const double count = out_count == 0 ? 0.0 : static_cast<double>(x.numel()) / out_count;
  return visit_dtype(x.dtype(), [&]<class T>() {
    auto acc = fold_into<double, T>(x, r, 0.0, add_to, add_to);
    for (auto& a : acc) a /= count;  // 0/0 = NaN for an empty reduction, like PyTorch
    return make_output<T>(acc, r, keepdim, x.dtype());
  });
}

double sum_of_squares(const Tensor& x) {
  const Reduction r = plan_reduction("sum_of_squares", x, {});
  return visit_dtype(x.dtype(), [&]<class T>() {
    auto square_add = [](double& a, T v) { a += static_cast<double>(v) * static_cast<double>(v); };
    return fold_into<double, T>(x, r, 0.0, square_add, add_to)[0];
  });
}

Tensor max(const Tensor& x, const Axes& axes, bool keepdim) {
  return extremum("max", x, axes, keepdim, true);
}
Tensor min(const Tensor& x, const Axes& axes, bool keepdim) {
  return extremum("min", x, axes, keepdim, false);
}
Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdim) {
  return arg_extremum("argmax", x, axis, keepdim, true);
}
Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdim) {
  return arg_extremum("argmin", x, axis, keepdim, false);
}

Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdim) {
  check(is_floating(x.dtype()), "logsumexp: needs a floating dtype, got ", dtype_name(x.dtype()));
  const Reduction r = plan_reduction("logsumexp", x, axes);  // validates the axes under our name
  Tensor m = max(x, axes, /*keepdim=*/true);
  // An all -inf (or +inf) slice would give inf - inf = NaN: shift by 0 there instead.
  m = where(eq(abs(m), scalar(INFINITY, m.dtype())), zeros_like(m), m);
  Tensor out = add(log(sum(exp(sub(x, m)), axes, /*keepdim=*/true)), m);
  return keepdim ? out : out.reshape(r.squeezed);
}

Tensor cumsum(const Tensor& x, std::int64_t axis, bool reverse) {
  check(x.defined(), "cumsum: operand is an undefined tensor");
  axis = normalize_axis("cumsum", axis, x.dim());
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  if (x.numel() == 0) return out;
  // Each outer block carries one running sum per inner position, so the walk goes through
  // memory in order.
  const detail::AroundAxis a = detail::around_axis(x, axis);
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* src = a.data.data<T>();
    T* dst = out.data<T>();
    std::vector<SumOf<T>> running(static_cast<std::size_t>(a.inner));
    for (std::int64_t o = 0; o < a.outer; ++o) {
      std::fill(running.begin(), running.end(), SumOf<T>(0));
      for (std::int64_t step = 0; step < a.extent; ++step) {
        const std::int64_t k = reverse ? a.extent - 1 - step : step;
        const std::int64_t row = (o * a.extent + k) * a.inner;
        for (std::int64_t i = 0; i < a.inner; ++i) {
          running[static_cast<std::size_t>(i)] += static_cast<SumOf<T>>(src[row + i]);
          dst[row + i] = result_as<T>("cumsum", running[static_cast<std::size_t>(i)]);
        }
      }
    }
  });
  return out;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  check(static_cast<std::int64_t>(shape.size()) <= x.dim(), "sum_to: cannot sum shape ",
        ShapePrinter{x.shape()}, " to the larger rank ", ShapePrinter{shape});
  const std::int64_t lead = x.dim() - static_cast<std::int64_t>(shape.size());
  Axes axes;
  for (std::int64_t i = 0; i < x.dim(); ++i) {
    if (i < lead) {
      axes.push_back(i);
    } else if (shape[i - lead] == 1 && x.shape()[i] != 1) {
      axes.push_back(i);
    } else {
      check(shape[i - lead] == x.shape()[i], "sum_to: shape ", ShapePrinter{x.shape()},
            " is not a broadcast of ", ShapePrinter{shape});
    }
  }
  if (axes.empty()) return x.reshape(shape);
  return sum(x, axes, /*keepdim=*/true).reshape(shape);
}

}  // namespace wengert
