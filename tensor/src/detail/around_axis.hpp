// A tensor seen as [outer, extent, inner] around one axis, for the ops that walk along an axis
// (index_select / gather and their adjoints, cumsum): element (o, k, i) sits at
// data[(o * extent + k) * inner + i].
#pragma once

#include "wengert/tensor/tensor.hpp"

namespace wengert::detail {

struct AroundAxis {
  Tensor data;  // x itself, or a contiguous copy of it
  std::int64_t outer, extent, inner;
};

inline AroundAxis around_axis(const Tensor& x, std::int64_t axis) {
  AroundAxis a{x.contiguous(), 1, x.shape()[axis], 1};
  for (std::int64_t i = 0; i < axis; ++i) a.outer *= x.shape()[i];
  for (std::int64_t i = axis + 1; i < x.dim(); ++i) a.inner *= x.shape()[i];
  return a;
}

}  // namespace wengert::detail
