// The one accumulation loop of every reduction: sum, mean, max, min and sum_of_squares
// (reduce.cpp), and the row max and row sum inside softmax (softmax.cpp). It folds the n values
// x[0], x[stride], ..., x[(n - 1) * stride] into one:
//   fold(acc, x_i)        folds one element into a running value   (e.g. acc += x_i * x_i)
//   combine(acc, other)   folds one running value into another     (e.g. acc += other)
// One running value would make every fold wait for the previous one (the latency of an add,
// ~4 cycles); eight independent ones keep the pipeline full and let the compiler vectorize.
// They are combined pairwise at the end: ((0 1) (2 3)) ((4 5) (6 7)).
#pragma once

#include <cstdint>
#include <type_traits>

namespace wengert::detail {

template <class Acc, class T, class Fold, class Combine>
Acc fold_row(const T* x, std::int64_t n, std::int64_t stride, Acc init, Fold fold,
             Combine combine) {
  Acc part[8] = {init, init, init, init, init, init, init, init};
  std::int64_t i = 0;
  auto run = [&](auto step) {
    for (; i + 8 <= n; i += 8)
      for (int l = 0; l < 8; ++l) fold(part[l], x[(i + l) * step]);
    for (; i < n; ++i) fold(part[0], x[i * step]);
  };
  // A unit stride as a compile-time constant: contiguous rows get the vectorizable loop.
  if (stride == 1) {
    run(std::integral_constant<std::int64_t, 1>{});
  } else {
    run(stride);
  }
  // Written out, not looped: constant indices keep the eight values in registers.
  combine(part[0], part[1]);
  combine(part[2], part[3]);
  combine(part[4], part[5]);
  combine(part[6], part[7]);
  combine(part[0], part[2]);
  combine(part[4], part[6]);
  combine(part[0], part[4]);
  return part[0];
}

}  // namespace wengert::detail
