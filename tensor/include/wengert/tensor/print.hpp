// Printing like NumPy / PyTorch: nested brackets, the middle of long axes elided, then shape and
// dtype: "tensor([[1.0000, 2.0000], [3.0000, 4.0000]], shape=[2, 2], dtype=f32)".
#pragma once

#include <ostream>
#include <string>

#include "tensor.hpp"

namespace wengert {

struct PrintOptions {
  std::int64_t threshold = 1000;  // elide when numel exceeds this
  std::int64_t edge_items = 3;    // items kept at each end of an elided axis
  int precision = 4;
};

std::string to_string(const Tensor& t, const PrintOptions& options = {});
std::ostream& operator<<(std::ostream& out, const Tensor& t);

}  // namespace wengert
