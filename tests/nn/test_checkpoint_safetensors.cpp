// safetensors reader and writer: round trips, the exact bytes of a tiny file (hand-computed), a
// file written by Python's struct + json (tests/nn/fixtures/torch_written.safetensors), every kind
// of corrupted file written by hand (each must throw naming the file, the tensor and the problem),
// and atomic writes (a failed save leaves the old file and no temporary behind).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "nn_test_support.hpp"
#include "wengert/nn/checkpoint.hpp"

using namespace wengert;
using namespace wengert::nn;
namespace fs = std::filesystem;
using Catch::Contains;

namespace {

struct TempDir : testing::ScratchDir {
  TempDir() : testing::ScratchDir("safetensors") {}
};

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string le64(std::uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out;
}

// A file with the given JSON header (not padded) and data section.
std::string file_with(const std::string& header, const std::string& data) {
  return le64(header.size()) + header + data;
}

}  // namespace

TEST_CASE("safetensors round trip keeps names, order, dtypes, shapes, values", "[checkpoint]") {
  TempDir dir;
  const NamedTensors tensors = {
      {"z.weight", tensor({{1.5, -2.0, 3.25}, {4.0, 5.0, -6.5}})},
      {"a.bias", tensor({3.141592653589793, -1e300}, DType::f64)},
      {"ids", from_vector<std::int64_t>({0, -1, std::int64_t{1} << 40})},
      {"step", scalar(7, DType::i64)},
      {"empty", zeros({0, 4})},
      {"transposed", tensor({{1, 2, 3}, {4, 5, 6}}).t()},  // non-contiguous
  };
  const Metadata metadata = {{"epoch", "3"}, {"format", "pt"}};
  save_safetensors(dir.path / "x.safetensors", tensors, metadata);
  const SafetensorsFile back = load_safetensors(dir.path / "x.safetensors");
  CHECK(back.metadata == metadata);
  REQUIRE(back.tensors.size() == tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    INFO(tensors[i].first);
    CHECK(back.tensors[i].first == tensors[i].first);
    CHECK(equal(back.tensors[i].second, tensors[i].second));
  }
  CHECK(back.tensors[3].second.dim() == 0);
}

TEST_CASE("safetensors writer produces the hand-computed bytes", "[checkpoint]") {
  TempDir dir;
  save_safetensors(dir.path / "a.safetensors", {{"a", tensor({1.0, -2.0})}});
  // 54 bytes of JSON, padded with 2 spaces to 56, then 1.0f = 0x3f800000, -2.0f = 0xc0000000.
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  REQUIRE(header.size() == 54);
  const std::string expected = std::string("\x38\0\0\0\0\0\0\0", 8) + header + "  " +
                               std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);
  CHECK(testing::read_file(dir.path / "a.safetensors") == expected);

  save_safetensors(dir.path / "m.safetensors", {{"a", tensor({1.0, -2.0})}}, {{"k", "v"}});
  const std::string with_meta =
      R"({"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  CHECK(testing::read_file(dir.path / "m.safetensors").substr(8, 80) == with_meta + " ");
}

TEST_CASE("safetensors reads a file written by Python struct + json", "[checkpoint]") {
  const SafetensorsFile f = load_safetensors(fs::path(WENGERT_SOURCE_DIR) /
                                             "tests/nn/fixtures/torch_written.safetensors");
  CHECK(f.metadata == Metadata{{"format", "pt"}, {"epoch", "3"}});
  REQUIRE(f.tensors.size() == 4);
  CHECK(f.tensors[0].first == "weight");
  CHECK(equal(f.tensors[0].second,
              from_vector<float>({1.5f, -2.25f, 3.0f, 0.1f, 1e-30f, -0.0f}, {2, 3})));
  CHECK(std::signbit(f.tensors[0].second.at({1, 2})));
  CHECK(f.tensors[1].first == "bias");
  CHECK(equal(f.tensors[1].second, from_vector<double>({M_PI, -1e300})));
  CHECK(f.tensors[2].first == "ids");
  CHECK(equal(f.tensors[2].second, from_vector<std::int64_t>({0, -1, std::int64_t{1} << 40})));
  CHECK(f.tensors[3].first == "step");
  CHECK(f.tensors[3].second.dim() == 0);
  CHECK(f.tensors[3].second.dtype() == DType::i64);
  CHECK(f.tensors[3].second.item() == 7);
}

TEST_CASE("safetensors rejects corrupted files, naming file, tensor and problem", "[checkpoint]") {
  TempDir dir;
  const fs::path p = dir.path / "bad.safetensors";
  const std::string file = p.string();
  const std::string w8 = std::string(8, '\x01');
  const auto rejects = [&](const std::string& bytes, const std::string& tensor,
                           const std::string& problem) {
    write_bytes(p, bytes);
    INFO(problem);
    REQUIRE_THROWS_AS(load_safetensors(p), Error);
    REQUIRE_THROWS_WITH(load_safetensors(p),
                        Contains(file) && Contains(tensor) && Contains(problem));
  };
  const auto entry = [](const std::string& name, const std::string& dtype, const std::string& shape,
                        const std::string& offsets) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
           ",\"data_offsets\":" + offsets + "}";
  };
  const std::string good = "{" + entry("w", "F32", "[2]", "[0,8]") + "}";

  rejects(std::string("\x05\0\0", 3), "", "truncated: 3 bytes");
  rejects(le64(1000) + good + w8, "", "header length 1000 exceeds");
  rejects(file_with("{\"w\":{\"dtype\":", w8), "", "not valid JSON");
  rejects(file_with("[1,2]", ""), "", "not a JSON object");
  rejects(file_with("{" + entry("w", "F16", "[4]", "[0,8]") + "}", w8), "tensor 'w'",
          "unsupported dtype 'F16'");
  rejects(file_with("{" + entry("w", "F32", "[3]", "[0,8]") + "}", w8), "tensor 'w'",
          "needs 12 bytes but data_offsets [0, 8] hold 8");
  rejects(file_with("{" + entry("w", "F32", "[-2]", "[0,8]") + "}", w8), "tensor 'w'",
          "is not a list of sizes");
  rejects(file_with("{" + entry("w", "F32", "[2]", "[8,0]") + "}", w8), "tensor 'w'",
          "end before they begin");
  rejects(file_with("{" + entry("w", "F32", "[2]", "[0]") + "}", w8), "tensor 'w'",
          "data_offsets must be [begin, end]");
  rejects(file_with("{" + entry("w", "F32", "[2]", "[0,8]") + "," +
                        entry("v", "F32", "[2]", "[4,12]") + "}",
                    w8 + std::string(4, '\0')),
          "tensor 'v'", "overlap tensor 'w'");
  rejects(file_with("{" + entry("w", "F32", "[2]", "[8,16]") + "}", w8), "tensor 'w'",
          "run past the data section (8 bytes)");
  rejects(file_with(good, w8.substr(0, 5)), "tensor 'w'", "file truncated?");  // data cut short
  rejects(file_with(good, w8 + "xyz"), "", "3 trailing bytes");
  rejects(file_with("{" + entry("w", "F32", "[1]", "[4,8]") + "}", w8), "tensor 'w'",
          "gap of 4 bytes");
  rejects(file_with("{" + entry("w", "F32", "[2]", "[0,8]") + "," +
                        entry("w", "F32", "[0]", "[8,8]") + "}",
                    w8),
          "tensor 'w'", "appears twice");
  rejects(
      file_with("{\"__metadata__\":{\"epoch\":3}," + entry("w", "F32", "[2]", "[0,8]") + "}", w8),
      "'epoch'", "is not a string");
  rejects(file_with("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", w8), "tensor 'w'",
          "missing dtype");

  // A valid file cut anywhere must throw, never crash or half-load.
  save_safetensors(p, {{"a", tensor({1.0, 2.0})}, {"b", zeros({3}, DType::f64)}});
  const std::string whole = testing::read_file(p);
  for (std::size_t n = 0; n < whole.size(); ++n) {
    write_bytes(p, whole.substr(0, n));
    INFO("cut at " << n);
    CHECK_THROWS_AS(load_safetensors(p), Error);
  }
  CHECK_THROWS_WITH(load_safetensors(dir.path / "missing.safetensors"),
                    Contains("missing.safetensors") && Contains("cannot open"));
}

TEST_CASE("save_safetensors is atomic", "[checkpoint]") {
  TempDir dir;
  const fs::path p = dir.path / "model.safetensors";
  save_safetensors(p, {{"a", tensor({1.0})}});
  const std::string before = testing::read_file(p);
  CHECK_THROWS_WITH(save_safetensors(p, {{"a", tensor({2.0})}, {"b", Tensor()}}),
                    Contains("tensor 'b'") && Contains("undefined"));
  CHECK_THROWS_WITH(save_safetensors(p, {{"a", tensor({2.0})}, {"a", tensor({3.0})}}),
                    Contains("'a' appears twice"));
  CHECK(testing::read_file(p) == before);
  CHECK_THROWS_WITH(save_safetensors(dir.path / "no_such_dir" / "x.safetensors", {}),
                    Contains("x.safetensors") && Contains("temporary file"));
  // Overwriting works and leaves only the file itself behind: no temporaries.
  save_safetensors(p, {{"a", tensor({2.0})}});
  CHECK(load_safetensors(p).tensors[0].second.item() == 2.0);
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}
