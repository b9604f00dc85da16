// Indexing and joining: index_select / gather (embedding lookup), their scatter-add adjoints,
// one_hot, concat, stack, split and chunk.
#pragma once

#include <vector>

#include "tensor.hpp"

namespace wengert {

// out = x with axis `axis` indexed by the i64 `index` (any shape): out.shape = x.shape[:axis] +
// index.shape + x.shape[axis+1:]. Embedding lookup is index_select(weight, 0, ids).
Tensor index_select(const Tensor& x, std::int64_t axis, const Tensor& index);
// The adjoint: out = zeros(shape); out[..., index[j], ...] += src[..., j, ...].
Tensor index_add(const Shape& shape, std::int64_t axis, const Tensor& index, const Tensor& src);

// torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] for axis = 1; index has x's rank.
Tensor gather(const Tensor& x, std::int64_t axis, const Tensor& index);
// The adjoint: out = zeros(shape); out[i][index[i][j][k]][k] += src[i][j][k].
Tensor scatter_add(const Shape& shape, std::int64_t axis, const Tensor& index, const Tensor& src);

// one_hot(ids, n)[..., k] = (ids[...] == k), ids any shape of i64 in [0, n).
Tensor one_hot(const Tensor& ids, std::int64_t num_classes, DType dtype = DType::f32);

Tensor concat(const std::vector<Tensor>& parts, std::int64_t axis = 0);
Tensor stack(const std::vector<Tensor>& parts, std::int64_t axis = 0);
// Views of consecutive pieces of `size` along `axis` (the last may be shorter).
std::vector<Tensor> split(const Tensor& x, std::int64_t size, std::int64_t axis = 0);
// Views of pieces with the given sizes, which must add up to the axis extent.
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes,
                          std::int64_t axis = 0);
// `chunks` views of (nearly) equal size along `axis`, like torch.chunk.
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t axis = 0);

}  // namespace wengert
