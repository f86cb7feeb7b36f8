#include "umeme/json.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "umeme/limits.h"

namespace umeme {

const char* describe(JsonError error) {
  switch (error) {
    case JsonError::None: return "ok";
    case JsonError::Oversized: return "oversized";
    case JsonError::BadUtf8: return "bad_utf8";
    case JsonError::BadJson: return "bad_json";
    case JsonError::NotObject: return "not_object";
    case JsonError::TooComplex: return "too_complex";
  }
  return "unknown";
}

const JsonValue* JsonObject::find(std::string_view key) const {
  for (const JsonField& field : fields_) {
    if (field.key == key) return &field.value;
  }
  return nullptr;
}

void JsonObject::set(std::string key, JsonValue value) {
  for (JsonField& field : fields_) {
    if (field.key == key) {
      field.value = std::move(value);
      return;
    }
  }
  fields_.push_back(JsonField{std::move(key), std::move(value)});
}

bool isValidUtf8(std::string_view bytes) {
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(bytes[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    // Ranges from the Unicode standard, table 3-7: no overlongs, surrogates or > U+10FFFF.
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      length = 2;
    } else if (b0 == 0xE0) {
      length = 3, low = 0xA0;
    } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
      length = 3;
    } else if (b0 == 0xED) {
      length = 3, high = 0x9F;
    } else if (b0 == 0xF0) {
      length = 4, low = 0x90;
    } else if (b0 >= 0xF1 && b0 <= 0xF3) {
      length = 4;
    } else if (b0 == 0xF4) {
      length = 4, high = 0x8F;
    } else {
      return false;
    }
    if (i + length > n) return false;
    const auto b1 = static_cast<unsigned char>(bytes[i + 1]);
    if (b1 < low || b1 > high) return false;
    for (std::size_t k = 2; k < length; ++k) {
      const auto b = static_cast<unsigned char>(bytes[i + k]);
      if (b < 0x80 || b > 0xBF) return false;
    }
    i += length;
  }
  return true;
}

namespace {

bool isForbiddenKey(std::string_view key) {
  return key == "__proto__" || key == "constructor" || key == "prototype";
}

void appendUtf8(std::string& out, uint32_t codePoint) {
  if (codePoint < 0x80) {
    out.push_back(static_cast<char>(codePoint));
  } else if (codePoint < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (codePoint >> 6)));
    out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
  } else if (codePoint < 0x10000) {
    // Lone surrogates from \u escapes land here too (as JSON.parse keeps them).
    out.push_back(static_cast<char>(0xE0 | (codePoint >> 12)));
    out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (codePoint >> 18)));
    out.push_back(static_cast<char>(0x80 | ((codePoint >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
  }
}

// Recursive descent over a payload already known to be valid UTF-8 and small.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  JsonError parseDocument(JsonObject& out) {
    skipWhitespace();
    const bool isObject = peek() == '{';
    if (!parseValue(nullptr, isObject ? &out : nullptr, 0)) return failure();
    skipWhitespace();
    if (pos_ != text_.size()) return JsonError::BadJson;
    return isObject ? JsonError::None : JsonError::NotObject;
  }

 private:
  JsonError failure() const { return tooComplex_ ? JsonError::TooComplex : JsonError::BadJson; }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  bool consume(char expected) {
    if (peek() != expected) return false;
    ++pos_;
    return true;
  }

  void skipWhitespace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  // Parses one value into `value` (may be null: checked and skipped). When `fields` is
  // given the value must be an object and its members are collected there.
  bool parseValue(JsonValue* value, JsonObject* fields, int depth) {
    skipWhitespace();
    JsonValue scratch;
    JsonValue& v = value != nullptr ? *value : scratch;
    switch (peek()) {
      case '{':
        v.type = JsonType::Object;
        return parseObject(fields, depth + 1);
      case '[':
        v.type = JsonType::Array;
        return parseArray(depth + 1);
      case '"':
        v.type = JsonType::String;
        return parseString(v.text, v.utf16Length);
      case 't':
        v.type = JsonType::Bool, v.boolean = true;
        return parseLiteral("true");
      case 'f':
        v.type = JsonType::Bool, v.boolean = false;
        return parseLiteral("false");
      case 'n':
        v.type = JsonType::Null;
        return parseLiteral("null");
      default:
        v.type = JsonType::Number;
        return parseNumber(v.number);
    }
  }

  bool parseObject(JsonObject* fields, int depth) {
    if (depth > kMaxJsonDepth) {
      tooComplex_ = true;
      return false;
    }
    ++pos_;  // '{'
    skipWhitespace();
    if (consume('}')) return true;
    for (;;) {
      skipWhitespace();
      if (peek() != '"') return false;
      std::string key;
      std::size_t keyUnits = 0;
      if (!parseString(key, keyUnits)) return false;
      // JSON.parse hands every key, at any depth, to the server's reviver, which refuses these.
      if (isForbiddenKey(key)) return false;
      skipWhitespace();
      if (!consume(':')) return false;
      if (fields != nullptr) {
        JsonValue member;
        if (!parseValue(&member, nullptr, depth)) return false;
        if (!fields->has(key) && fields->size() >= kMaxJsonFields) {
          tooComplex_ = true;
          return false;
        }
        fields->set(std::move(key), std::move(member));
      } else if (!parseValue(nullptr, nullptr, depth)) {
        return false;
      }
      skipWhitespace();
      if (consume('}')) return true;
      if (!consume(',')) return false;
    }
  }

  bool parseArray(int depth) {
    if (depth > kMaxJsonDepth) {
      tooComplex_ = true;
      return false;
    }
    ++pos_;  // '['
    skipWhitespace();
    if (consume(']')) return true;
    for (;;) {
      if (!parseValue(nullptr, nullptr, depth)) return false;
      skipWhitespace();
      if (consume(']')) return true;
      if (!consume(',')) return false;
    }
  }

  bool parseLiteral(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  bool parseNumber(double& out) {
    const std::size_t start = pos_;
    consume('-');
    if (consume('0')) {
      // a leading zero stands alone
    } else if (isDigit(peek())) {
      while (isDigit(peek())) ++pos_;
    } else {
      return false;
    }
    if (consume('.')) {
      if (!isDigit(peek())) return false;
      while (isDigit(peek())) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!isDigit(peek())) return false;
      while (isDigit(peek())) ++pos_;
    }
    // strtod rounds correctly like JSON.parse; overflow gives +-HUGE_VAL (Infinity in
    // JavaScript too), which the schema checks then refuse.
    const std::string token(text_.substr(start, pos_ - start));
    out = std::strtod(token.c_str(), nullptr);
    return true;
  }

  bool parseHex4(uint32_t& out) {
    if (pos_ + 4 > text_.size()) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      uint32_t digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
      out = (out << 4) | digit;
    }
    return true;
  }

  bool parseString(std::string& out, std::size_t& utf16Length) {
    ++pos_;  // opening quote
    out.clear();
    utf16Length = 0;
    while (pos_ < text_.size()) {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;  // raw control characters are not JSON
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        // Count UTF-16 units on lead bytes: four-byte sequences are surrogate pairs.
        if (c >= 0xF0) {
          utf16Length += 2;
        } else if ((c & 0xC0) != 0x80) {
          utf16Length += 1;
        }
        ++pos_;
        continue;
      }
      ++pos_;  // backslash
      if (pos_ >= text_.size()) return false;
      const char escape = text_[pos_++];
      switch (escape) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t unit = 0;
          if (!parseHex4(unit)) return false;
          const bool high = unit >= 0xD800 && unit <= 0xDBFF;
          if (high && text_.substr(pos_, 2) == "\\u") {
            const std::size_t save = pos_;
            pos_ += 2;
            uint32_t low = 0;
            if (!parseHex4(low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              appendUtf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
              utf16Length += 2;
              break;
            }
            pos_ = save;  // not a pair: the next escape is read on its own
          }
          appendUtf8(out, unit);
          utf16Length += 1;
          break;
        }
        default:
          return false;
      }
      if (escape != 'u') utf16Length += 1;
    }
    return false;  // unterminated
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  bool tooComplex_ = false;
};

}  // namespace

JsonError parseJsonObject(std::string_view payload, JsonObject& out) {
  out.clear();
  if (payload.size() > kMaxPayloadBytes) return JsonError::Oversized;
  if (!isValidUtf8(payload)) return JsonError::BadUtf8;
  // TextDecoder drops a leading byte-order mark before the server parses.
  if (payload.substr(0, 3) == "\xEF\xBB\xBF") payload.remove_prefix(3);
  const JsonError error = Parser(payload).parseDocument(out);
  if (error != JsonError::None) out.clear();
  return error;
}

}  // namespace umeme
