// load_safetensors: reads the whole file, validates the header length, the JSON, every entry
// (dtype, shape, data_offsets against the shape's byte size) and the packing of the data section
// (no overlap, no gap, nothing out of range or trailing) before building any tensor.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>
#include <wengert/tensor/json_depth.hpp>

#include "format.hpp"
#include "wengert/nn/checkpoint.hpp"

namespace wengert::nn {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

constexpr std::uint64_t max_header_bytes = 100'000'000;  // as the reference implementation

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  std::uint64_t begin, end;
};

// "load_safetensors: 'file': <pieces...>"
template <class... Parts>
[[noreturn]] void bad(const fs::path& path, Parts&&... parts) {
  fail("load_safetensors: '", path.string(), "': ", std::forward<Parts>(parts)...);
}

std::vector<char> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) bad(path, "cannot open the file");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) bad(path, "read error");
  return bytes;
}

json parse_header(const fs::path& path, const char* first, const char* last) {
  // Track the top-level keys while parsing: JSON objects silently keep one of two equal keys.
  std::set<std::string> keys;
  std::string duplicate;
  const auto on_event =
      depth_limited<json>([&](int depth, json::parse_event_t event, json& parsed) {
        if (depth == 1 && event == json::parse_event_t::key && !keys.insert(parsed).second)
          duplicate = parsed.get<std::string>();
        return true;
      });
  json header;
  try {
    header = json::parse(first, last, on_event);
  } catch (const json::exception& e) {
    bad(path, "header is not valid JSON: ", e.what());
  } catch (const Error& e) {
    bad(path, "header: ", e.what());
  }
  if (!header.is_object()) bad(path, "header is not a JSON object");
  if (!duplicate.empty()) bad(path, "tensor '", duplicate, "' appears twice in the header");
  return header;
}

Metadata parse_metadata(const fs::path& path, const json& m) {
  if (!m.is_object()) bad(path, "__metadata__ is not an object of strings");
  Metadata out;
  for (const auto& [key, value] : m.items()) {
    if (!value.is_string()) bad(path, "__metadata__ entry '", key, "' is not a string");
    out[key] = value.get<std::string>();
  }
  return out;
}

Entry parse_entry(const fs::path& path, const std::string& name, const json& info) {
  const auto problem = [&](auto&&... parts) { bad(path, "tensor '", name, "': ", parts...); };
  if (!info.is_object()) problem("entry is not an object");
  if (!info.contains("dtype") || !info["dtype"].is_string()) problem("missing dtype");
  const std::string dtype = info["dtype"].get<std::string>();
  const auto parsed = detail::parse_safetensors_dtype(dtype);
  if (!parsed) problem("unsupported dtype '", dtype, "' (wengert reads F32, F64, I64)");
  Entry e{name, *parsed, {}, 0, 0};

  if (!info.contains("shape") || !info["shape"].is_array()) problem("missing shape");
  std::uint64_t bytes = dtype_size(e.dtype);
  for (const json& d : info["shape"]) {
    if (!d.is_number_unsigned()) problem("shape ", info["shape"].dump(), " is not a list of sizes");
    const std::uint64_t n = d.get<std::uint64_t>();
    if (n > (std::uint64_t{1} << 62) || __builtin_mul_overflow(bytes, n, &bytes))
      problem("shape ", info["shape"].dump(), " is too large");
    e.shape.push_back(static_cast<std::int64_t>(n));
  }

  const json& offsets = info.contains("data_offsets") ? info["data_offsets"] : json();
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    problem("data_offsets must be [begin, end]");
  e.begin = offsets[0].get<std::uint64_t>();
  e.end = offsets[1].get<std::uint64_t>();
  if (e.end < e.begin) problem("data_offsets [", e.begin, ", ", e.end, "] end before they begin");
  if (e.end - e.begin != bytes)
    problem("shape ", shape_str(e.shape), " of ", dtype, " needs ", bytes,
            " bytes but data_offsets [", e.begin, ", ", e.end, "] hold ", e.end - e.begin);
  return e;
}

// The entries sorted by offset must tile [0, data_size) exactly.
void check_packing(const fs::path& path, std::vector<Entry>& entries, std::uint64_t data_size) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t expected = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.end > data_size)
      bad(path, "tensor '", e.name, "': data_offsets [", e.begin, ", ", e.end,
          "] run past the data section (", data_size, " bytes): file truncated?");
    if (e.begin < expected)
      bad(path, "tensor '", e.name, "': data_offsets [", e.begin, ", ", e.end, "] overlap tensor '",
          previous->name, "'");
    if (e.begin > expected)
      bad(path, "tensor '", e.name, "': gap of ", e.begin - expected, " bytes before its data");
    expected = e.end;
    previous = &e;
  }
  if (expected != data_size)
    bad(path, data_size - expected, " trailing bytes after the last tensor's data");
}

}  // namespace

SafetensorsFile load_safetensors(const fs::path& path) {
  const std::vector<char> bytes = read_file(path);
  if (bytes.size() < 8)
    bad(path, "truncated: ", bytes.size(), " bytes, shorter than the 8-byte header length");
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);  // little-endian host (format.hpp)
  if (n > max_header_bytes || n > bytes.size() - 8)
    bad(path, "header length ", n, " exceeds the ", bytes.size() - 8,
        " bytes after it (truncated or not a safetensors file)");
  const json header = parse_header(path, bytes.data() + 8, bytes.data() + 8 + n);

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      out.metadata = parse_metadata(path, info);
    } else {
      entries.push_back(parse_entry(path, name, info));
    }
  }
  const char* data = bytes.data() + 8 + n;
  check_packing(path, entries, bytes.size() - 8 - n);

  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    if (e.end > e.begin) std::memcpy(detail::raw_bytes(t), data + e.begin, e.end - e.begin);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace wengert::nn
