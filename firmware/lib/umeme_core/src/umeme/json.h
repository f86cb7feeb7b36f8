// A small, strict JSON reader for command payloads. It accepts exactly what the server's
// parseJsonPayload accepts (RFC 8259 JSON in valid UTF-8, at most kMaxPayloadBytes, no
// "__proto__"/"constructor"/"prototype" key at any depth, top level an object) and keeps
// only the top-level fields; nested values are checked and skipped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace umeme {

enum class JsonError {
  None,
  Oversized,   // more than kMaxPayloadBytes
  BadUtf8,     // not valid UTF-8
  BadJson,     // not JSON, or a forbidden key
  NotObject,   // valid JSON but not an object
  TooComplex,  // deeper or wider than the meter is willing to read
};

const char* describe(JsonError error);

enum class JsonType { Null, Bool, Number, String, Object, Array };

struct JsonValue {
  JsonType type = JsonType::Null;
  bool boolean = false;
  double number = 0.0;
  std::string text;             // strings, decoded to UTF-8
  std::size_t utf16Length = 0;  // string length as JavaScript counts it
};

struct JsonField {
  std::string key;
  JsonValue value;
};

class JsonObject {
 public:
  // The last occurrence of a key wins, as with JSON.parse.
  const JsonValue* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  std::size_t size() const { return fields_.size(); }

  // Sets or replaces a field; used by the parser.
  void set(std::string key, JsonValue value);
  void clear() { fields_.clear(); }

 private:
  std::vector<JsonField> fields_;
};

JsonError parseJsonObject(std::string_view payload, JsonObject& out);

// True when bytes form valid UTF-8 as WHATWG's fatal TextDecoder defines it.
bool isValidUtf8(std::string_view bytes);

}  // namespace umeme
