// Module and training checkpoints: save_module / load_module round trips with dotted names, a
// mismatching file (shape, dtype, missing or extra tensor) throws naming file and tensor and
// leaves the module untouched, and save_checkpoint / load_checkpoint resume Adam bit-for-bit.
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "nn_test_support.hpp"
#include "wengert/nn/checkpoint.hpp"

using namespace wengert;
using namespace wengert::nn;
namespace fs = std::filesystem;
using Catch::Contains;

namespace {

struct TempDir : testing::ScratchDir {
  TempDir() : testing::ScratchDir("ckpt_module") {}
};

// weight [out, in], optional bias [out]; values offset by `seed` so two instances differ.
class Affine : public Module {
 public:
  Affine(std::int64_t in, std::int64_t out, double seed, bool bias = true,
         DType dtype = DType::f32) {
    weight = register_parameter(
        "weight", arange(seed, seed + double(in * out), 1.0, dtype).reshape({out, in}));
    if (bias) register_parameter("bias", full({out}, seed, dtype));
  }
  Var weight;
};

class Net : public Module {
 public:
  explicit Net(double seed, std::int64_t hidden = 3, bool bias = true, DType dtype = DType::f32) {
    first = register_module("first", std::make_shared<Affine>(2, hidden, seed, bias, dtype));
    second =
        register_module("second", std::make_shared<Affine>(hidden, 1, seed + 100, true, dtype));
  }
  std::shared_ptr<Affine> first, second;
};

// Net with one more parameter.
class NetPlus : public Net {
 public:
  NetPlus() : Net(1.0) { register_parameter("scale", ones({1})); }
};

bool same_values(const Module& a, const Module& b) {
  const NamedTensors x = a.state_dict(), y = b.state_dict();
  if (x.size() != y.size()) return false;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i].first != y[i].first || !equal(x[i].second, y[i].second)) return false;
  return true;
}

}  // namespace

TEST_CASE("save_module / load_module round trip", "[checkpoint]") {
  TempDir dir;
  const fs::path p = dir.path / "net.safetensors";
  Net a(1.0), b(50.0);
  save_module(p, a, {{"epoch", "4"}});
  const SafetensorsFile f = load_safetensors(p);
  REQUIRE(f.tensors.size() == 4);
  CHECK(f.tensors[0].first == "first.weight");
  CHECK(f.tensors[3].first == "second.bias");
  CHECK(f.metadata.at("epoch") == "4");

  const Tensor storage = b.first->weight.value();
  load_module(p, b);
  CHECK(same_values(a, b));
  CHECK(b.first->weight.value().shares_storage_with(storage));  // copied into, not replaced
}

TEST_CASE("load_module rejects a mismatching file and changes nothing", "[checkpoint]") {
  TempDir dir;
  const fs::path p = dir.path / "net.safetensors";
  const auto rejects = [&](const Module& saved, const std::string& tensor,
                           const std::string& problem) {
    save_module(p, saved);
    Net target(50.0);
    Net untouched(50.0);
    INFO(problem);
    REQUIRE_THROWS_WITH(load_module(p, target),
                        Contains(p.string()) && Contains("'" + tensor + "'") && Contains(problem));
    CHECK(same_values(target, untouched));
  };
  rejects(Net(1.0, 4), "first.weight", "f32 [4, 2] in the file but f32 [3, 2] in the module");
  rejects(Net(1.0, 3, true, DType::f64), "first.weight", "f64 [3, 2] in the file");
  rejects(Net(1.0, 3, false), "first.bias", "missing from the file");
  rejects(NetPlus(), "scale", "is not in the module");
}

TEST_CASE("save_checkpoint / load_checkpoint resume training bit-for-bit", "[checkpoint]") {
  TempDir dir;
  const fs::path p = dir.path / "model.safetensors";
  CHECK(optimizer_state_path(p) == dir.path / "model.optim.safetensors");

  const auto train_step = [](Net& net, Optimizer& opt, double scale) {
    for (const Var& w : net.parameters()) w.set_grad(full(w.shape(), scale) + w.value() * 0.01);
    opt.step();
  };
  Net a(1.0);
  Adam opt_a(a.parameters(), AdamOptions{.lr = 0.05, .weight_decay = 0.01});
  train_step(a, opt_a, 0.3);
  train_step(a, opt_a, -0.7);
  save_checkpoint(p, a, opt_a, {{"epoch", "2"}});

  Net b(9.0);
  Adam opt_b(b.parameters(), AdamOptions{.lr = 0.05, .weight_decay = 0.01});
  const Metadata meta = load_checkpoint(p, b, opt_b);
  CHECK(meta == Metadata{{"epoch", "2"}});
  CHECK(same_values(a, b));
  train_step(a, opt_a, 0.5);
  train_step(b, opt_b, 0.5);
  CHECK(same_values(a, b));

  // An optimizer file from another checkpoint is refused before anything changes.
  save_checkpoint(dir.path / "other.safetensors", a, opt_a);
  fs::copy_file(dir.path / "other.optim.safetensors", optimizer_state_path(p),
                fs::copy_options::overwrite_existing);
  Net c(9.0), c_before(9.0);
  Adam opt_c(c.parameters(), AdamOptions{});
  CHECK_THROWS_WITH(load_checkpoint(p, c, opt_c), Contains("does not belong"));
  CHECK(same_values(c, c_before));
  CHECK(opt_c.state().size() == 2);  // "lr" and "optimizer.Adam": no step state

  // A state that does not fit the optimizer is refused before the module changes.
  save_checkpoint(p, a, opt_a);
  Net d(9.0), d_before(9.0);
  SGD opt_d(d.parameters(), SGDOptions{.momentum = 0.9});
  CHECK_THROWS_WITH(load_checkpoint(p, d, opt_d), Contains("model.optim.safetensors") &&
                                                      Contains("of kind Adam") &&
                                                      Contains("of kind SGD"));
  CHECK(same_values(d, d_before));
}
