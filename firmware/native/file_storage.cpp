#include "file_storage.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace umeme_native {

FileStorage::FileStorage(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  std::ifstream in(path_);
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t eq = line.find('=');
    if (eq != std::string::npos) values_[line.substr(0, eq)] = line.substr(eq + 1);
  }
}

std::optional<uint64_t> FileStorage::loadU64(const char* key) {
  const auto it = values_.find(key);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(it->second.c_str(), &end, 10);
  if (*end != '\0') return std::nullopt;
  return static_cast<uint64_t>(value);
}

bool FileStorage::storeU64(const char* key, uint64_t value) {
  values_[key] = std::to_string(value);
  return save();
}

std::optional<std::string> FileStorage::loadString(const char* key) {
  const auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

bool FileStorage::storeString(const char* key, std::string_view value) {
  // One value per line: a newline would split it.
  if (value.find('\n') != std::string_view::npos) return false;
  values_[key] = std::string(value);
  return save();
}

bool FileStorage::save() {
  if (path_.empty()) return true;
  const std::string temporary = path_ + ".tmp";
  std::string text;
  for (const auto& [key, value] : values_) text += key + "=" + value + "\n";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return false;
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return written && synced && std::rename(temporary.c_str(), path_.c_str()) == 0;
}

}  // namespace umeme_native
