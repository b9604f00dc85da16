// Anomaly mode: the first NaN / Inf in a forward output or a backward gradient throws, naming the
// op.
#include <cmath>
#include <wengert/autograd/anomaly.hpp>
#include <wengert/autograd/node.hpp>

namespace wengert {

namespace {
thread_local bool anomaly_mode = false;

// Index (row-major) of the first non-finite element, or -1.
std::int64_t first_non_finite(const Tensor& t) {
  if (!t.defined() || !is_floating(t.dtype())) return -1;
  const Tensor c = t.contiguous();
  return visit_floating("anomaly", c.dtype(), [&]<class T>() -> std::int64_t {
    const T* p = c.data<T>();
    for (std::int64_t i = 0; i < c.numel(); ++i)
      if (!std::isfinite(p[i])) return i;
    return -1;
  });
}
}  // namespace

bool anomaly_enabled() { return anomaly_mode; }
DetectAnomaly::DetectAnomaly(bool enabled) : previous_(anomaly_mode) { anomaly_mode = enabled; }
DetectAnomaly::~DetectAnomaly() { anomaly_mode = previous_; }

namespace detail {

void check_forward(std::string_view op, std::int64_t index, const Tensor& value) {
  const std::int64_t at = first_non_finite(value);
  if (at < 0) return;
  fail("anomaly: forward of ", op, index >= 0 ? " (tape #" + std::to_string(index) + ")" : "",
       " produced ", value.contiguous().flatten().at({at}), " at element ", at, " of its output ",
       shape_str(value.shape()));
}

void check_backward(const Node& node, std::size_t input, const Tensor& grad) {
  const std::int64_t at = first_non_finite(grad);
  if (at < 0) return;
  fail("anomaly: backward of ", node.op, " (tape #", node.index, ") produced ",
       grad.contiguous().flatten().at({at}), " at element ", at, " of the gradient of input ",
       input, " ", node.inputs[input].node->describe());
}

}  // namespace detail
}  // namespace wengert
