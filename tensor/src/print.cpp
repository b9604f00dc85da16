// NumPy-style printing: nested brackets, long axes elided to their first and last edge_items.
#include "wengert/tensor/print.hpp"

#include <iomanip>
#include <sstream>

namespace wengert {

namespace {

void print_axis(std::ostringstream& out, const Tensor& t, std::vector<std::int64_t>& index,
                std::int64_t axis, bool elide, const PrintOptions& opt) {
  if (axis == t.dim()) {
    if (t.dtype() == DType::i64) {  // read exactly: a double holds only 53 bits
      out << static_cast<const std::int64_t*>(t.storage()->data())[t.element_offset(index)];
    } else {
      out << std::fixed << std::setprecision(opt.precision) << t.at(index);
    }
    return;
  }
  const std::int64_t n = t.shape()[axis];
  out << '[';
  for (std::int64_t i = 0; i < n; ++i) {
    if (elide && n > 2 * opt.edge_items && i == opt.edge_items) {
      out << "...";
      i = n - opt.edge_items - 1;
      out << (axis + 1 == t.dim() ? ", " : ",\n" + std::string(axis + 8, ' '));
      continue;
    }
    index[axis] = i;
    print_axis(out, t, index, axis + 1, elide, opt);
    if (i + 1 < n) out << (axis + 1 == t.dim() ? ", " : ",\n" + std::string(axis + 8, ' '));
  }
  out << ']';
}

}  // namespace

std::string to_string(const Tensor& t, const PrintOptions& options) {
  if (!t.defined()) return "tensor(undefined)";
  std::ostringstream out;
  out << "tensor(";
  std::vector<std::int64_t> index(t.dim(), 0);
  print_axis(out, t, index, 0, t.numel() > options.threshold, options);
  out << ", shape=" << shape_str(t.shape()) << ", dtype=" << dtype_name(t.dtype()) << ')';
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Tensor& t) { return out << to_string(t); }

}  // namespace wengert
