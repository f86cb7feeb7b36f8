#include "umeme/units.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "umeme/limits.h"

namespace umeme {

namespace {

// Parses "%.*e" output ("d.ddde+XX") into digits and a decimal exponent.
ShortestDecimal parseScientific(const char* text, bool negative) {
  ShortestDecimal out;
  out.negative = negative;
  const char* p = text;
  while (*p != '\0' && *p != 'e') {
    if (*p != '.') out.digits.push_back(*p);
    ++p;
  }
  const int exponent = (*p == 'e') ? std::atoi(p + 1) : 0;
  // d.ddd x 10^e = 0.dddd x 10^(e+1)
  out.pointPosition = exponent + 1;
  // Trailing zeros carry no value; trimming keeps the text canonical.
  while (out.digits.size() > 1 && out.digits.back() == '0') out.digits.pop_back();
  if (out.digits == "0") out.pointPosition = 1;
  return out;
}

}  // namespace

ShortestDecimal shortestDecimal(double value) {
  const bool negative = std::signbit(value) && value != 0.0;
  const double magnitude = std::fabs(value);
  char buffer[40];
  // The first precision whose correctly rounded text reads back as the same double is the
  // shortest one, and being correctly rounded it is also the closest: JavaScript's rule.
  // snprintf/strtod are used instead of std::to_chars because the ESP32 toolchain's
  // library lacks floating-point to_chars.
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*e", precision - 1, magnitude);
    if (std::strtod(buffer, nullptr) == magnitude) break;
  }
  return parseScientific(buffer, negative);
}

std::optional<int64_t> scaleDecimalHalfEven(double value, int digits) {
  if (!std::isfinite(value) || std::fabs(value) > kMaxWireQuantity) return std::nullopt;
  const ShortestDecimal decimal = shortestDecimal(value);

  // Position of the decimal point after scaling, counted from the left of the digits.
  const int point = decimal.pointPosition + digits;
  std::string text = decimal.digits;
  int pointAt = point;
  if (point <= 0) {
    text.insert(0, static_cast<std::size_t>(1 - point), '0');
    pointAt = 1;
  }
  if (static_cast<int>(text.size()) < pointAt) text.append(static_cast<std::size_t>(pointAt) - text.size(), '0');

  const auto wholeLength = static_cast<std::size_t>(pointAt);
  int64_t result = 0;
  for (std::size_t i = 0; i < wholeLength; ++i) result = result * 10 + (text[i] - '0');

  if (text.size() > wholeLength) {
    const int first = text[wholeLength] - '0';
    if (first >= 5) {
      bool exactlyHalf = (first == 5);
      for (std::size_t i = wholeLength + 1; exactlyHalf && i < text.size(); ++i) {
        if (text[i] != '0') exactlyHalf = false;
      }
      if (!exactlyHalf || result % 2 == 1) result += 1;
    }
  }
  if (result > kMaxSafeInteger) return std::nullopt;
  return decimal.negative ? -result : result;
}

std::string formatMwhAsKwh(int64_t mwh) {
  // Magnitude in unsigned arithmetic so that even INT64_MIN cannot overflow.
  const bool negative = mwh < 0;
  const uint64_t magnitude = negative ? (~static_cast<uint64_t>(mwh) + 1U) : static_cast<uint64_t>(mwh);
  const uint64_t perKwh = static_cast<uint64_t>(kMwhPerKwh);
  const uint64_t whole = magnitude / perKwh;
  uint64_t fraction = magnitude % perKwh;

  std::string out;
  if (negative) out.push_back('-');
  out += std::to_string(whole);
  if (fraction != 0) {
    char digits[8];
    std::snprintf(digits, sizeof digits, "%06llu", static_cast<unsigned long long>(fraction));
    std::string fractionText(digits);
    while (!fractionText.empty() && fractionText.back() == '0') fractionText.pop_back();
    out.push_back('.');
    out += fractionText;
  }
  return out;
}

}  // namespace umeme
