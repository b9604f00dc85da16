// write_file_atomic: mkstemp next to the target, write, fsync, rename, fsync the folder.
#include "wengert/tensor/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "wengert/tensor/error.hpp"

namespace wengert {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail_io(std::string_view op, const std::string& file, const char* what) {
  fail(op, ": '", file, "': ", what, ": ", std::strerror(errno));
}

void write_all(int fd, std::span<const std::byte> bytes, std::string_view op,
               const std::string& file) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_io(op, file, "write failed");
    done += static_cast<std::size_t>(n);
  }
}

// Removes the temporary, keeping errno for the message.
void discard(const std::string& tmp) {
  const int err = errno;
  ::unlink(tmp.c_str());
  errno = err;
}

}  // namespace

void write_file_atomic(const fs::path& path, std::span<const std::byte> bytes,
                       std::string_view op) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::string name = ".";  // (GCC 12 warns falsely on "." + std::string&&)
  name += path.filename().string();
  name += ".tmp-XXXXXX";
  std::string tmp = (dir / name).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) fail_io(op, path.string(), "cannot create a temporary file in its directory");
  try {
    if (::fchmod(fd, 0644) != 0) fail_io(op, tmp, "fchmod failed");
    write_all(fd, bytes, op, tmp);
    if (::fsync(fd) != 0) fail_io(op, tmp, "fsync failed");
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    discard(tmp);
    fail_io(op, tmp, "close failed");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    discard(tmp);
    fail_io(op, path.string(), "rename failed");
  }
  sync_directory(dir);  // make the rename itself durable
}

void sync_directory(const fs::path& dir) {
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomic(const fs::path& path, std::string_view text, std::string_view op) {
  write_file_atomic(path, std::as_bytes(std::span<const char>(text.data(), text.size())), op);
}

}  // namespace wengert
