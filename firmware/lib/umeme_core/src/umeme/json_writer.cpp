#include "umeme/json_writer.h"

#include <cmath>
#include <cstdio>

#include "umeme/units.h"

namespace umeme {

void appendJsonString(std::string& out, std::string_view value) {
  out.push_back('"');
  for (const char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void JsonWriter::key(std::string_view name) {
  if (out_.size() > 1) out_.push_back(',');
  appendJsonString(out_, name);
  out_.push_back(':');
}

JsonWriter& JsonWriter::string(std::string_view name, std::string_view value) {
  key(name);
  appendJsonString(out_, value);
  return *this;
}

JsonWriter& JsonWriter::integer(std::string_view name, int64_t value) {
  key(name);
  out_ += std::to_string(value);
  return *this;
}

JsonWriter& JsonWriter::kwh(std::string_view name, int64_t mwh) {
  key(name);
  out_ += formatMwhAsKwh(mwh);
  return *this;
}

JsonWriter& JsonWriter::fixed(std::string_view name, double value, int decimals) {
  key(name);
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", decimals, std::isfinite(value) ? value : 0.0);
  // "-0.0" is valid JSON but reads oddly in logs.
  std::string formatted(text);
  if (formatted[0] == '-' && formatted.find_first_not_of("-0.") == std::string::npos) formatted.erase(0, 1);
  out_ += formatted;
  return *this;
}

std::string JsonWriter::finish() {
  out_.push_back('}');
  std::string result = std::move(out_);
  out_ = "{";
  return result;
}

}  // namespace umeme
