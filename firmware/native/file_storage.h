// Storage for the native meter: a small key=value text file, replaced atomically
// (write a temporary file, fsync, rename) so a killed process never leaves it half-written.
#pragma once

#include <map>
#include <string>

#include "umeme/storage.h"

namespace umeme_native {

class FileStorage : public umeme::Storage {
 public:
  // An empty path keeps everything in memory (a meter with no flash).
  explicit FileStorage(std::string path);

  std::optional<uint64_t> loadU64(const char* key) override;
  bool storeU64(const char* key, uint64_t value) override;
  std::optional<std::string> loadString(const char* key) override;
  bool storeString(const char* key, std::string_view value) override;

 private:
  bool save();
  std::string path_;
  std::map<std::string, std::string> values_;
};

}  // namespace umeme_native
