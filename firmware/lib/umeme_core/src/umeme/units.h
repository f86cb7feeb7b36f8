// Conversions between wire kWh (JSON numbers) and the integer milliwatt-hours the meter
// counts in. They must agree bit for bit with packages/protocol/src/units.ts; the shared
// vectors in packages/protocol/vectors/units.json check that they do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace umeme {

// The shortest decimal that reads back as the same double, as JavaScript's
// Number.prototype.toString chooses it: value = 0.d1d2d3... x 10^pointPosition.
struct ShortestDecimal {
  bool negative = false;
  std::string digits;     // no leading zeros, at least one digit ("0" for zero)
  int pointPosition = 0;  // where the decimal point sits, counted from the left of digits
};

ShortestDecimal shortestDecimal(double value);

// Scales value by 10^digits and rounds half-even on its shortest decimal text, like
// scaleDecimalHalfEven in units.ts. Empty for NaN, infinities and |value| > 1e9.
std::optional<int64_t> scaleDecimalHalfEven(double value, int digits);

inline std::optional<int64_t> kwhToMwh(double kwh) { return scaleDecimalHalfEven(kwh, 6); }

// Exact decimal text of an mWh count in kWh, e.g. 12345678 -> "12.345678", -500000 -> "-0.5".
// Every such text with at most 15 significant digits parses back to the same mWh on the
// server, so the register crosses the wire without rounding.
std::string formatMwhAsKwh(int64_t mwh);

}  // namespace umeme
