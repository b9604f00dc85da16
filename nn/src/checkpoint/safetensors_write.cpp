// save_safetensors: builds the JSON header with nlohmann-json, packs the tensors in order, and
// writes the file atomically (temporary in the same directory, fsync, rename, fsync directory).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "format.hpp"
#include "wengert/nn/checkpoint.hpp"

namespace wengert::nn {

namespace {

namespace fs = std::filesystem;

// header length (8 bytes LE) | JSON padded with spaces to a multiple of 8 | data
std::vector<std::byte> encode(const fs::path& path, const NamedTensors& tensors,
                              const Metadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> packed;
  std::set<std::string> names;
  std::size_t offset = 0;
  for (const auto& [name, t] : tensors) {
    check(!name.empty() && name != "__metadata__", "save_safetensors: '", path.string(),
          "': invalid tensor name '", name, "'");
    check(names.insert(name).second, "save_safetensors: '", path.string(), "': tensor '", name,
          "' appears twice");
    check(t.defined(), "save_safetensors: '", path.string(), "': tensor '", name, "' is undefined");
    packed.push_back(t.contiguous());
    const std::size_t bytes = static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype());
    header[name] = {{"dtype", detail::safetensors_dtype(t.dtype())},
                    {"shape", t.shape()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  std::vector<std::byte> out(8 + text.size() + offset);
  const std::uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);  // little-endian host (format.hpp)
  std::memcpy(out.data() + 8, text.data(), text.size());
  std::byte* data = out.data() + 8 + text.size();
  for (const Tensor& t : packed) {
    const std::size_t bytes = static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype());
    if (bytes != 0) std::memcpy(data, detail::raw_bytes(t), bytes);
    data += bytes;
  }
  return out;
}

[[noreturn]] void fail_io(const fs::path& path, const char* what) {
  fail("save_safetensors: '", path.string(), "': ", what, ": ", std::strerror(errno));
}

void write_all(int fd, const std::vector<std::byte>& bytes, const fs::path& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_io(path, "write failed");
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

void save_safetensors(const fs::path& path, const NamedTensors& tensors, const Metadata& metadata) {
  const std::vector<std::byte> bytes = encode(path, tensors, metadata);
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::string name = ".";  // (GCC 12 warns falsely on "." + std::string&&)
  name += path.filename().string();
  name += ".tmp-XXXXXX";
  std::string tmp = (dir / name).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) fail_io(path, "cannot create a temporary file in its directory");
  try {
    if (::fchmod(fd, 0644) != 0) fail_io(tmp, "fchmod failed");
    write_all(fd, bytes, tmp);
    if (::fsync(fd) != 0) fail_io(tmp, "fsync failed");
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    errno = err;
    fail_io(tmp, "close failed");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    errno = err;
    fail_io(path, "rename failed");
  }
  // Make the rename itself durable; some file systems refuse to fsync a directory: not an error.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace wengert::nn
