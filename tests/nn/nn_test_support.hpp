// Shared helpers of the nn tests: a scratch folder, and the JSON fixtures written by
// scripts/make_optim_fixtures.py.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <wengert/tensor/tensor.hpp>

namespace wengert::nn::testing {

// A fresh folder under the system temp directory, removed when the object dies.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix) {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           (prefix + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

inline nlohmann::json load_fixture(const std::string& name) {
  std::ifstream in(std::string(WENGERT_SOURCE_DIR) + "/tests/nn/fixtures/" + name);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

inline Tensor make_tensor(const nlohmann::json& values, const nlohmann::json& shape, DType dtype) {
  return from_vector<double>(values.get<std::vector<double>>(), shape.get<Shape>()).to(dtype);
}

}  // namespace wengert::nn::testing
