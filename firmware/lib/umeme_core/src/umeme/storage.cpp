#include "umeme/storage.h"

namespace umeme {

std::optional<uint64_t> MemoryStorage::loadU64(const char* key) {
  const auto it = numbers_.find(key);
  if (it == numbers_.end()) return std::nullopt;
  return it->second;
}

bool MemoryStorage::storeU64(const char* key, uint64_t value) {
  if (failing_) return false;
  numbers_[key] = value;
  ++writes_;
  ++writesByKey_[key];
  return true;
}

std::optional<std::string> MemoryStorage::loadString(const char* key) {
  const auto it = strings_.find(key);
  if (it == strings_.end()) return std::nullopt;
  return it->second;
}

bool MemoryStorage::storeString(const char* key, std::string_view value) {
  if (failing_) return false;
  strings_[key] = std::string(value);
  ++writes_;
  ++writesByKey_[key];
  return true;
}

uint64_t MemoryStorage::writesOf(const std::string& key) const {
  const auto it = writesByKey_.find(key);
  return it == writesByKey_.end() ? 0 : it->second;
}

}  // namespace umeme
