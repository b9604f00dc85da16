// Shared helpers of the nn tests: the JSON fixtures written by scripts/make_nn_fixtures.py and
// scripts/make_optim_fixtures.py (support/support.hpp has the scratch folder).
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <wengert/tensor/tensor.hpp>

#include "support/support.hpp"

namespace wengert::testing {

inline nlohmann::json load_fixture(const std::string& name) {
  std::ifstream in(source_path("tests/nn/fixtures/" + name));
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

inline Tensor make_tensor(const nlohmann::json& values, const nlohmann::json& shape, DType dtype) {
  return from_vector<double>(values.get<std::vector<double>>(), shape.get<Shape>()).to(dtype);
}

}  // namespace wengert::testing
