// The one atomic file write of the project (checkpoints, tokenizers, vocabularies, run files):
// the bytes go to a temporary file in the same folder, are fsynced, and the temporary is renamed
// over `path`; the folder is fsynced too. A reader, or a run interrupted at any point, sees the
// old file or the new one, never half of one. Lives in the bottom layer so every layer shares it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>

namespace wengert {

// Errors throw wengert::Error "<op>: '<file>': <what>: <reason>" and leave the old file in place
// and no temporary behind.
void write_file_atomic(const std::filesystem::path& path, std::span<const std::byte> bytes,
                       std::string_view op);
void write_file_atomic(const std::filesystem::path& path, std::string_view text,
                       std::string_view op);

// fsyncs a folder, making the renames and creations in it durable (best effort: some file
// systems refuse to fsync a folder, which is not an error).
void sync_directory(const std::filesystem::path& dir);

}  // namespace wengert
