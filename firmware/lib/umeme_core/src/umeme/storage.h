// Non-volatile key-value storage: NVS (Preferences) on the ESP32, a file on Linux, memory
// in tests. Keys are at most 15 characters (the NVS limit).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace umeme {

class Storage {
 public:
  virtual ~Storage() = default;
  virtual std::optional<uint64_t> loadU64(const char* key) = 0;
  // Returns false when the write did not reach storage; callers retry later.
  virtual bool storeU64(const char* key, uint64_t value) = 0;
  virtual std::optional<std::string> loadString(const char* key) = 0;
  virtual bool storeString(const char* key, std::string_view value) = 0;
};

// In-memory storage that counts writes (for wear checks) and can be told to fail.
class MemoryStorage : public Storage {
 public:
  std::optional<uint64_t> loadU64(const char* key) override;
  bool storeU64(const char* key, uint64_t value) override;
  std::optional<std::string> loadString(const char* key) override;
  bool storeString(const char* key, std::string_view value) override;

  uint64_t writes() const { return writes_; }
  uint64_t writesOf(const std::string& key) const;
  void setFailing(bool failing) { failing_ = failing; }

 private:
  std::map<std::string, uint64_t> numbers_;
  std::map<std::string, std::string> strings_;
  std::map<std::string, uint64_t> writesByKey_;
  uint64_t writes_ = 0;
  bool failing_ = false;
};

}  // namespace umeme
