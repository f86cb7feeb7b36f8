// Protects the one place where wire kWh become register mWh, against the shared vectors.
#include <doctest/doctest.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>

#include "fixtures.h"
#include "umeme/units.h"

using umeme::formatMwhAsKwh;
using umeme::kwhToMwh;
using umeme::scaleDecimalHalfEven;

TEST_CASE("kWh converts to mWh exactly as units.ts does, for every shared vector") {
  const auto vectors = fixtures::loadVectors("units.json");
  REQUIRE(vectors.at("kwhToMwh").size() > 0);
  for (const auto& vector : vectors.at("kwhToMwh")) {
    const double kwh = vector.at("kwh").get<double>();
    const int64_t mwh = vector.at("mwh").get<int64_t>();
    INFO("kwh = " << vector.at("kwh").dump());
    const auto converted = kwhToMwh(kwh);
    REQUIRE(converted.has_value());
    CHECK(*converted == mwh);
  }
}

TEST_CASE("KES converts to cents with the same half-even rule, for every shared vector") {
  const auto vectors = fixtures::loadVectors("units.json");
  for (const auto& vector : vectors.at("kesToCents")) {
    INFO("kes = " << vector.at("kes").dump());
    const auto cents = scaleDecimalHalfEven(vector.at("kes").get<double>(), 2);
    REQUIRE(cents.has_value());
    CHECK(*cents == vector.at("cents").get<int64_t>());
  }
}

TEST_CASE("exact halves round to even and everything else to nearest") {
  CHECK(scaleDecimalHalfEven(0.5, 0) == 0);
  CHECK(scaleDecimalHalfEven(1.5, 0) == 2);
  CHECK(scaleDecimalHalfEven(2.5, 0) == 2);
  CHECK(scaleDecimalHalfEven(2.51, 0) == 3);
  CHECK(scaleDecimalHalfEven(-2.5, 0) == -2);
  CHECK(scaleDecimalHalfEven(-0.0, 6) == 0);
  CHECK(kwhToMwh(0.1 + 0.2) == 300000);  // 0.30000000000000004 kWh
}

TEST_CASE("non-finite and out-of-range quantities are refused") {
  CHECK_FALSE(kwhToMwh(std::nan("")).has_value());
  CHECK_FALSE(kwhToMwh(INFINITY).has_value());
  CHECK_FALSE(kwhToMwh(-INFINITY).has_value());
  CHECK_FALSE(kwhToMwh(1e308).has_value());
  CHECK_FALSE(kwhToMwh(1e9 + 1).has_value());
  CHECK(kwhToMwh(1e9) == 1'000'000'000'000'000);
  CHECK(kwhToMwh(-1e9) == -1'000'000'000'000'000);
}

TEST_CASE("the register's kWh text is exact decimal") {
  CHECK(formatMwhAsKwh(0) == "0");
  CHECK(formatMwhAsKwh(1) == "0.000001");
  CHECK(formatMwhAsKwh(12345678) == "12.345678");
  CHECK(formatMwhAsKwh(1000000) == "1");
  CHECK(formatMwhAsKwh(-500000) == "-0.5");
  CHECK(formatMwhAsKwh(999'999'999'999'999) == "999999999.999999");
  CHECK(formatMwhAsKwh(INT64_MIN) == "-9223372036854.775808");
}

TEST_CASE("any register value crosses the wire and comes back to the same mWh") {
  const uint64_t seed = std::random_device{}();
  INFO("seed = " << seed << " (replay by hard-coding it here)");
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> anyMwh(0, 1'000'000'000'000'000);
  std::uniform_int_distribution<int64_t> smallMwh(0, 10'000'000);
  for (int i = 0; i < 20000; ++i) {
    const int64_t mwh = (i % 2 == 0) ? anyMwh(rng) : smallMwh(rng);
    const std::string text = formatMwhAsKwh(mwh);
    // The server parses the JSON number to a double, then rounds its shortest text.
    const double parsed = std::strtod(text.c_str(), nullptr);
    INFO("mwh = " << mwh << " text = " << text);
    REQUIRE(kwhToMwh(parsed) == mwh);
    REQUIRE(kwhToMwh(-parsed) == -mwh);
  }
}

namespace {

// The shortest round-trip text per the C++17 library (Ryu in libstdc++), which picks the
// same digits as JavaScript's Number.prototype.toString.
umeme::ShortestDecimal referenceShortest(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, std::fabs(value), std::chars_format::scientific);
  *result.ptr = '\0';
  umeme::ShortestDecimal out;
  out.negative = value < 0;
  const char* p = buffer;
  while (*p != 'e') {
    if (*p != '.') out.digits.push_back(*p);
    ++p;
  }
  out.pointPosition = std::atoi(p + 1) + 1;
  while (out.digits.size() > 1 && out.digits.back() == '0') out.digits.pop_back();
  if (out.digits == "0") out.pointPosition = 1;
  return out;
}

}  // namespace

TEST_CASE("the meter's shortest decimal matches the C++ library's, which matches JavaScript's") {
  const uint64_t seed = std::random_device{}();
  INFO("seed = " << seed);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> exponent(-12, 9);
  std::uniform_int_distribution<uint64_t> bits;
  for (int i = 0; i < 50000; ++i) {
    double value = 0;
    switch (i % 3) {
      case 0: value = unit(rng) * std::pow(10.0, exponent(rng)); break;
      case 1: value = static_cast<double>(bits(rng) % 1'000'000'000'000'000ULL) / 1e6; break;
      default: value = std::round(unit(rng) * 1e6) / std::pow(10.0, exponent(rng) + 12); break;
    }
    const auto ours = umeme::shortestDecimal(value);
    const auto reference = referenceShortest(value);
    INFO("value = " << value);
    REQUIRE(ours.digits == reference.digits);
    REQUIRE(ours.pointPosition == reference.pointPosition);
  }
}
