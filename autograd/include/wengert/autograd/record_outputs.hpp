// record_outputs(): an op with several outputs as one tape entry (max with indices, sin and cos).
#pragma once

#include <string_view>
#include <vector>

#include "record.hpp"

namespace wengert {

namespace detail {
// The outputs flattened into one value, and views of it (or of its gradient).
Tensor pack(std::string_view op, const std::vector<Tensor>& outputs);
std::vector<Tensor> unpack(const Tensor& packed, const std::vector<Shape>& shapes);
std::vector<Var> unpack(const Var& packed, const std::vector<Shape>& shapes);
}  // namespace detail

// The outputs (floating, one dtype) are packed into the entry's single value and each returned Var
// is a view of it, so the entry's rule sees all their gradients at once: it is called as
// rule(c, douts), douts[k] shaped like outputs[k] (zeros for an output that no gradient reached).
// The rule must be generic ([](auto& c, auto& douts)); c.out() is the packed value.
template <class Rule>
std::vector<Var> record_outputs(std::string_view op, std::vector<Tensor> outputs,
                                std::initializer_list<std::reference_wrapper<const Var>> inputs,
                                std::uint8_t saves, Rule rule,
                                std::vector<SavedTensor> saved = {}) {
  std::vector<Shape> shapes;
  for (const Tensor& t : outputs) shapes.push_back(t.shape());
  auto unpacking = [rule = std::move(rule), shapes](auto& c) mutable {
    auto douts = detail::unpack(c.dout, shapes);
    rule(c, douts);
  };
  const Var packed =
      record(op, detail::pack(op, outputs), inputs, saves, std::move(unpacking), std::move(saved));
  return detail::unpack(packed, shapes);
}

}  // namespace wengert
