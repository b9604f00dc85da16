// Anomaly mode (opt-in, per thread): while a DetectAnomaly guard lives, every recorded op checks
// its forward output and every backward rule checks the gradients it produces; the first NaN or Inf
// throws wengert::Error naming the op and its tape index. Costs a pass over each tensor.
//   { DetectAnomaly anomaly; loss = model(x); loss.backward(); }
#pragma once

#include <cstddef>
#include <string_view>
#include <wengert/tensor.hpp>

namespace wengert {

struct Node;

bool anomaly_enabled();
class DetectAnomaly {
 public:
  explicit DetectAnomaly(bool enabled = true);
  ~DetectAnomaly();
  DetectAnomaly(const DetectAnomaly&) = delete;
  DetectAnomaly& operator=(const DetectAnomaly&) = delete;

 private:
  bool previous_;
};

namespace detail {
// Called by record() and BackwardCtx::add() when anomaly mode is on.
void check_forward(std::string_view op, std::int64_t index, const Tensor& value);
void check_backward(const Node& node, std::size_t input, const Tensor& grad);
}  // namespace detail

}  // namespace wengert
