// Protects the relay rule, the low-balance rule and credit-limit keeping against packages/protocol/vectors/credit.json.
#include <doctest/doctest.h>

#include <string>

#include "fixtures.h"
#include "harness.h"
#include "umeme/credit.h"
#include "umeme/units.h"

using namespace umeme;

namespace {

RelayOverride overrideFrom(const std::string& text) {
  if (text == "connect") return RelayOverride::Connect;
  if (text == "disconnect") return RelayOverride::Disconnect;
  REQUIRE(text == "auto");
  return RelayOverride::Auto;
}

std::string relayCommandFor(RelayOverride override) {
  const char* action = override == RelayOverride::Connect      ? "connect"
                       : override == RelayOverride::Disconnect ? "disconnect"
                                                               : "auto";
  return std::string(R"({"action":")") + action + R"(","reason":"test","timestamp":1763800000})";
}

std::string mwhAsKwhText(int64_t mwh) { return formatMwhAsKwh(mwh); }

}  // namespace

TEST_CASE("every relay vector gives the same decision") {
  const auto vectors = fixtures::loadVectors("credit.json").at("relay");
  REQUIRE(vectors.size() > 0);
  for (const auto& vector : vectors) {
    INFO(vector.dump());
    CHECK(relayShouldBeClosed(vector.at("energyMwh").get<int64_t>(), vector.at("creditLimitMwh").get<int64_t>(),
                              vector.at("emergencyMwh").get<int64_t>(),
                              overrideFrom(vector.at("override").get<std::string>())) ==
          vector.at("relayClosed").get<bool>());
  }
}

TEST_CASE("every low-balance vector gives the same answer") {
  const auto vectors = fixtures::loadVectors("credit.json").at("lowBalance");
  REQUIRE(vectors.size() > 0);
  for (const auto& vector : vectors) {
    INFO(vector.dump());
    CHECK(isLowBalance(vector.at("energyMwh").get<int64_t>(), vector.at("creditLimitMwh").get<int64_t>(),
                       vector.at("lowBalanceMwh").get<int64_t>()) == vector.at("low").get<bool>());
  }
}

TEST_CASE("every relay vector gives the same decision on a whole meter fed real commands") {
  const auto vectors = fixtures::loadVectors("credit.json");
  for (const auto& vector : vectors.at("relay")) {
    INFO(vector.dump());
    bench::Bench bench;
    const int64_t emergency = vector.at("emergencyMwh").get<int64_t>();
    REQUIRE(bench.command("config", R"({"publishIntervalS":30,"lowBalanceKwh":0,"emergencyCreditKwh":)" +
                                        mwhAsKwhText(emergency) + "}")
                .outcome != CommandOutcome::Rejected);
    bench.creditLimit(mwhAsKwhText(vector.at("creditLimitMwh").get<int64_t>()));
    bench.consume(vector.at("energyMwh").get<int64_t>());
    bench.command("relay", relayCommandFor(overrideFrom(vector.at("override").get<std::string>())));
    CHECK(bench.meter->relayClosed() == vector.at("relayClosed").get<bool>());
  }
}

TEST_CASE("the meter keeps the largest credit limit it has seen, per the vectors") {
  const auto vectors = fixtures::loadVectors("credit.json");
  for (const auto& sequence : vectors.at("creditLimitSequence")) {
    const auto& received = sequence.at("received");
    const auto& kept = sequence.at("kept");
    REQUIRE(received.size() == kept.size());

    int64_t pure = 0;
    bench::Bench bench;
    for (std::size_t i = 0; i < received.size(); ++i) {
      const int64_t limit = received[i].get<int64_t>();
      keepLargestCreditLimit(pure, limit);
      CHECK(pure == kept[i].get<int64_t>());
      bench.creditLimit(mwhAsKwhText(limit));
      CHECK(bench.meter->creditLimitMwh() == kept[i].get<int64_t>());
    }
  }
}

TEST_CASE("balance is C minus E and low balance is strictly below the threshold") {
  CHECK(balanceMwh(300, 1000) == 700);
  CHECK(balanceMwh(1500, 1000) == -500);
  CHECK(isLowBalance(0, 1000, 1001));
  CHECK_FALSE(isLowBalance(0, 1000, 1000));
}

TEST_CASE("the relay rule cannot overflow at the edges of the range") {
  CHECK(relayShouldBeClosed(0, INT64_MAX / 2, INT64_MAX / 2, RelayOverride::Auto));
  CHECK_FALSE(relayShouldBeClosed(INT64_MAX / 2, 0, 0, RelayOverride::Auto));
}
