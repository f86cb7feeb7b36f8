// Builds the small flat JSON objects the meter publishes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace umeme {

class JsonWriter {
 public:
  JsonWriter& string(std::string_view key, std::string_view value);
  JsonWriter& integer(std::string_view key, int64_t value);
  // An energy in mWh written as its exact kWh decimal.
  JsonWriter& kwh(std::string_view key, int64_t mwh);
  // A reading with a fixed number of decimals; non-finite values are written as 0 because
  // JSON has no NaN and a reading is informational.
  JsonWriter& fixed(std::string_view key, double value, int decimals);
  std::string finish();

 private:
  void key(std::string_view name);
  std::string out_ = "{";
};

// Appends value as a JSON string literal (with quotes), escaping what JSON requires.
void appendJsonString(std::string& out, std::string_view value);

}  // namespace umeme
