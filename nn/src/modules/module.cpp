// Module: registration of parameters and sub-modules, and the recursive walks over them
// (names, train/eval, zero_grad, dtype conversion, summary, state_dict load with all-or-nothing
// validation).
#include <cxxabi.h>

#include <cstdlib>
#include <map>
#include <sstream>
#include <typeinfo>
#include <wengert/nn/module.hpp>

namespace wengert::nn {

namespace {
// 1234567 -> "1,234,567"
std::string with_commas(std::int64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  const int len = static_cast<int>(digits.size());
  for (int i = 0; i < len; ++i) {
    if (i > 0 && (len - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}
}  // namespace

void Module::check_new_name(const std::string& name) const {
  check(!name.empty() && name.find('.') == std::string::npos, "Module: invalid name '", name,
        "' (must be non-empty and contain no '.')");
  for (const auto& [n, p] : params_)
    check(n != name, "Module: name '", name, "' is already a parameter");
  for (const auto& [n, b] : buffers_)
    check(n != name, "Module: name '", name, "' is already a buffer");
  for (const auto& [n, m] : children_)
    check(n != name, "Module: name '", name, "' is already a sub-module");
}

Var Module::register_parameter(std::string name, Tensor init) {
  check_new_name(name);
  check(init.defined() && is_floating(init.dtype()), "Module: parameter '", name,
        "' needs a defined floating tensor");
  Var param(std::move(init), /*requires_grad=*/true, name);
  params_.emplace_back(std::move(name), param);
  return param;
}

Var Module::register_buffer(std::string name, Tensor init) {
  check_new_name(name);
  check(init.defined(), "Module: buffer '", name, "' needs a defined tensor");
  Var buffer(std::move(init), /*requires_grad=*/false, name);
  buffers_.emplace_back(std::move(name), buffer);
  return buffer;
}

void Module::add_child(std::string name, std::shared_ptr<Module> m) {
  check_new_name(name);
  check(m != nullptr, "Module: sub-module '", name, "' is null");
  check(m.get() != this, "Module: sub-module '", name, "' is the module itself");
  children_.emplace_back(std::move(name), std::move(m));
}

void Module::collect(const std::string& prefix,
                     std::vector<std::pair<std::string, Var>>& out) const {
  for (const auto& [name, p] : params_) out.emplace_back(prefix + name, p);
  for (const auto& [name, m] : children_) m->collect(prefix + name + ".", out);
}

void Module::collect_buffers(const std::string& prefix, NamedTensors& out) const {
  for (const auto& [name, b] : buffers_) out.emplace_back(prefix + name, b.value());
  for (const auto& [name, m] : children_) m->collect_buffers(prefix + name + ".", out);
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect_buffers("", out);
  return out;
}

std::vector<std::pair<std::string, Var>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Var>> out;
  collect("", out);
  return out;
}

std::vector<Var> Module::parameters() const {
  std::vector<Var> out;
  for (auto& [name, p] : named_parameters()) out.push_back(p);
  return out;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, m] : children_) m->train(on);
}

Module& Module::to(DType dtype) {
  check(is_floating(dtype), "Module::to: needs a floating dtype (f32 or f64), got ",
        dtype_name(dtype));
  NoGradGuard no_grad;
  // A parameter shared by two modules is met twice: converted the first time only.
  for (const Var& p : parameters()) {
    if (p.dtype() == dtype) continue;
    p.mutable_value() = p.value().to(dtype);
    if (p.grad().defined()) p.set_grad(p.grad().to(dtype));
  }
  convert_buffers(dtype);
  return *this;
}

void Module::convert_buffers(DType dtype) {
  for (const auto& [name, b] : buffers_)
    if (is_floating(b.dtype()) && b.dtype() != dtype) b.mutable_value() = b.value().to(dtype);
  for (const auto& [name, m] : children_) m->convert_buffers(dtype);
}

void Module::zero_grad() {
  for (const Var& p : parameters()) p.zero_grad();
}

std::int64_t Module::num_parameters() const {
  std::int64_t n = 0;
  for (const Var& p : parameters()) n += p.numel();
  return n;
}

std::string Module::type_name() const {
  const char* mangled = typeid(*this).name();
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : mangled;
  std::free(demangled);
  // Drop the namespaces of the class itself, not those inside template arguments.
  const auto colon = name.rfind("::", name.find('<'));
  return colon == std::string::npos ? name : name.substr(colon + 2);
}

void Module::describe(const std::string& name, int depth, std::string& out) const {
  const std::string indent(2 * depth, ' ');
  out += indent + (name.empty() ? "" : name + ": ") + type_name() + "  (" +
         with_commas(num_parameters()) + " parameters)\n";
  for (const auto& [pname, p] : params_)
    out +=
        indent + "  " + pname + "  " + shape_str(p.shape()) + "  " + with_commas(p.numel()) + "\n";
  for (const auto& [bname, b] : buffers_)
    out += indent + "  " + bname + "  " + shape_str(b.shape()) + "  (buffer)\n";
  for (const auto& [cname, m] : children_) m->describe(cname, depth + 1, out);
}

std::string Module::summary() const {
  std::string out;
  describe("", 0, out);
  return out;
}

std::ostream& operator<<(std::ostream& out, const Module& m) { return out << m.summary(); }

NamedTensors Module::state_dict() const {
  NamedTensors out;
  for (const auto& [name, p] : named_parameters()) out.emplace_back(name, p.value());
  for (auto& entry : named_buffers()) out.push_back(std::move(entry));
  return out;
}

void Module::load_state_dict(const NamedTensors& state) {
  const NamedTensors params = state_dict();  // parameters and buffers, the tensors themselves
  std::map<std::string, const Tensor*> given;
  for (const auto& [name, t] : state) {
    check(given.emplace(name, &t).second, "load_state_dict: tensor '", name, "' given twice");
  }
  // Validate everything before writing anything.
  std::map<std::string, const Tensor*> expected_names;
  for (const auto& [name, p] : params) {
    expected_names.emplace(name, nullptr);
    const auto it = given.find(name);
    check(it != given.end(), "load_state_dict: missing tensor '", name, "' (expected ",
          ShapePrinter{p.shape()}, " ", dtype_name(p.dtype()), ")");
    const Tensor& t = *it->second;
    check(t.defined(), "load_state_dict: tensor '", name, "' is undefined");
    check(t.shape() == p.shape(), "load_state_dict: tensor '", name, "' has shape ",
          ShapePrinter{t.shape()}, ", the module expects ", ShapePrinter{p.shape()});
    check(t.dtype() == p.dtype(), "load_state_dict: tensor '", name, "' has dtype ",
          dtype_name(t.dtype()), ", the module expects ", dtype_name(p.dtype()));
  }
  for (const auto& [name, t] : given)
    check(expected_names.count(name) == 1, "load_state_dict: unexpected tensor '", name, "'");
  NoGradGuard no_grad;
  for (const auto& [name, p] : params) {
    const Tensor& src = *given.at(name);
    Tensor dst = p;
    if (!(dst.shares_storage_with(src) && dst.offset() == src.offset())) dst.copy_(src);
  }
}

}  // namespace wengert::nn
