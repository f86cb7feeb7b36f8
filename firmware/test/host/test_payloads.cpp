// Protects the wire format: the meter must decode exactly the payloads the protocol
// package's vectors call valid, refuse the invalid ones, and only ever publish payloads the
// server's schemas accept.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "fixtures.h"
#include "umeme/limits.h"
#include "umeme/payloads.h"

using namespace umeme;

TEST_CASE("every valid command/balance vector decodes to its credit limit in mWh") {
  const auto vectors = fixtures::loadVectors("payloads.json").at("commandBalance");
  REQUIRE(vectors.at("valid").size() > 0);
  for (const auto& vector : vectors.at("valid")) {
    INFO(vector.at("name").get<std::string>());
    const auto decoded = decodeBalanceCommand(vector.at("payload").get<std::string>());
    REQUIRE(decoded.ok());
    CHECK(decoded.value.creditLimitMwh == vector.at("creditLimit_mwh").get<int64_t>());
  }
}

TEST_CASE("every invalid command/balance vector is refused") {
  const auto vectors = fixtures::loadVectors("payloads.json").at("commandBalance");
  REQUIRE(vectors.at("invalid").size() > 0);
  for (const auto& vector : vectors.at("invalid")) {
    INFO(vector.at("name").get<std::string>());
    CHECK_FALSE(decodeBalanceCommand(vector.at("payload").get<std::string>()).ok());
  }
}

TEST_CASE("every command/relay vector decodes to its action or is refused") {
  const auto vectors = fixtures::loadVectors("payloads.json").at("commandRelay");
  for (const auto& vector : vectors.at("valid")) {
    INFO(vector.at("name").get<std::string>());
    const auto decoded = decodeRelayCommand(vector.at("payload").get<std::string>());
    REQUIRE(decoded.ok());
    const std::string action = vector.at("action").get<std::string>();
    const RelayAction expected = action == "connect"      ? RelayAction::Connect
                                 : action == "disconnect" ? RelayAction::Disconnect
                                                          : RelayAction::Auto;
    CHECK(decoded.value.action == expected);
  }
  for (const auto& vector : vectors.at("invalid")) {
    INFO(vector.at("name").get<std::string>());
    CHECK_FALSE(decodeRelayCommand(vector.at("payload").get<std::string>()).ok());
  }
}

TEST_CASE("every command/config vector decodes to its settings or is refused") {
  const auto vectors = fixtures::loadVectors("payloads.json").at("commandConfig");
  for (const auto& vector : vectors.at("valid")) {
    INFO(vector.at("name").get<std::string>());
    const auto decoded = decodeConfigCommand(vector.at("payload").get<std::string>());
    REQUIRE(decoded.ok());
    CHECK(decoded.value.publishIntervalS == vector.at("publishIntervalS").get<int64_t>());
    CHECK(decoded.value.lowBalanceMwh == vector.at("lowBalance_mwh").get<int64_t>());
    CHECK(decoded.value.emergencyCreditMwh == vector.at("emergencyCredit_mwh").get<int64_t>());
  }
  for (const auto& vector : vectors.at("invalid")) {
    INFO(vector.at("name").get<std::string>());
    CHECK_FALSE(decodeConfigCommand(vector.at("payload").get<std::string>()).ok());
  }
}

TEST_CASE("every consumption vector is read as the server reads it") {
  const auto vectors = fixtures::loadVectors("payloads.json").at("consumption");
  REQUIRE(vectors.at("valid").size() > 0);
  for (const auto& vector : vectors.at("valid")) {
    INFO(vector.at("name").get<std::string>());
    const auto decoded = decodeConsumption(vector.at("payload").get<std::string>());
    REQUIRE(decoded.ok());
    const std::string kind = vector.at("kind").get<std::string>();
    CHECK(decoded.value.kind == (kind == "v2" ? ConsumptionKind::V2 : ConsumptionKind::Legacy));
    CHECK(decoded.value.energyTotalMwh == vector.at("energyTotal_mwh").get<int64_t>());
    if (vector.contains("seq")) CHECK(decoded.value.seq == vector.at("seq").get<int64_t>());
  }
  for (const auto& vector : vectors.at("invalid")) {
    INFO(vector.at("name").get<std::string>());
    CHECK_FALSE(decodeConsumption(vector.at("payload").get<std::string>()).ok());
  }
}

TEST_CASE("commands outside the schema's bounds are refused") {
  CHECK_FALSE(decodeBalanceCommand(R"({"balance":5,"creditLimit":1000000001,"timestamp":1})").ok());
  CHECK_FALSE(decodeBalanceCommand(R"({"balance":5,"creditLimit":1,"timestamp":1.5})").ok());
  CHECK_FALSE(decodeBalanceCommand(R"({"balance":5,"creditLimit":1,"timestamp":-1})").ok());
  CHECK_FALSE(decodeBalanceCommand(R"({"balance":5,"creditLimit":1,"timestamp":4102444801})").ok());
  CHECK_FALSE(decodeBalanceCommand(R"({"balance":null,"creditLimit":1,"timestamp":1})").ok());
  CHECK_FALSE(decodeBalanceCommand(R"({"balance":5,"creditLimit":1e400,"timestamp":1})").ok());
  CHECK(decodeBalanceCommand(R"({"balance":5,"creditLimit":1,"timestamp":1.0e3})").ok());
  CHECK(decodeBalanceCommand(R"({"balance":-1e9,"creditLimit":1e9,"timestamp":0})").ok());

  CHECK_FALSE(decodeRelayCommand(R"({"action":"connect","timestamp":1})").ok());  // reason is required
  CHECK_FALSE(decodeRelayCommand(R"({"action":"connect","reason":"x","timestamp":1,"id":null})").ok());
  CHECK_FALSE(decodeRelayCommand(R"({"action":"Connect","reason":"x","timestamp":1})").ok());
  const std::string longReason(257, 'r');
  CHECK_FALSE(decodeRelayCommand(R"({"action":"auto","reason":")" + longReason + R"(","timestamp":1})").ok());
  const std::string longestReason(256, 'r');
  CHECK(decodeRelayCommand(R"({"action":"auto","reason":")" + longestReason + R"(","timestamp":1})").ok());
  const std::string longId(65, 'i');
  CHECK_FALSE(decodeRelayCommand(R"({"action":"auto","reason":"","timestamp":1,"id":")" + longId + "\"}").ok());

  CHECK_FALSE(decodeConfigCommand(R"({"publishIntervalS":86401,"lowBalanceKwh":2,"emergencyCreditKwh":1})").ok());
  CHECK_FALSE(decodeConfigCommand(R"({"publishIntervalS":30.5,"lowBalanceKwh":2,"emergencyCreditKwh":1})").ok());
  CHECK_FALSE(decodeConfigCommand(
                  R"({"publishIntervalS":30,"lowBalanceKwh":2,"emergencyCreditKwh":1,"maxLoadW":1000001})")
                  .ok());
  CHECK_FALSE(decodeConfigCommand(R"({"publishIntervalS":"30","lowBalanceKwh":2,"emergencyCreditKwh":1})").ok());
}

TEST_CASE("an oversized command is refused as oversized") {
  std::string payload = R"({"balance":1,"creditLimit":2,"timestamp":1,"pad":")";
  payload += std::string(kMaxPayloadBytes, 'p');
  payload += "\"}";
  const auto decoded = decodeBalanceCommand(payload);
  CHECK(decoded.error == DecodeError::Oversized);
}

TEST_CASE("a consumption report carries the register exactly and passes the server's schema") {
  const int64_t registers[] = {0, 1, 999'999, 12'345'678, 1'000'000'000'000, 999'999'999'999'999};
  for (const int64_t energy : registers) {
    ConsumptionReading reading;
    reading.seq = 42;
    reading.energyTotalMwh = energy;
    reading.unitsConsumedMwh = 1'234;
    reading.remainingBalanceMwh = -2'500'000;
    reading.powerW = 2000.04;
    reading.currentA = 8.6958;
    reading.voltageV = 230;
    reading.relayOn = true;
    reading.timestamp = 1'763'800'000;
    const std::string payload = encodeConsumption("M-1_x", reading);
    INFO(payload);
    const auto decoded = decodeConsumption(payload);
    REQUIRE(decoded.ok());
    CHECK(decoded.value.kind == ConsumptionKind::V2);
    CHECK(decoded.value.energyTotalMwh == energy);
    CHECK(decoded.value.seq == 42);
    CHECK(decoded.value.remainingBalanceMwh == -2'500'000);
    CHECK(decoded.value.relay == std::string("on"));
  }
}

TEST_CASE("the consumption payload has the documented shape") {
  ConsumptionReading reading;
  reading.seq = 7;
  reading.energyTotalMwh = 12'345'678;
  reading.unitsConsumedMwh = 10'000;
  reading.remainingBalanceMwh = 3'500'000;
  reading.powerW = 450.5;
  reading.currentA = 1.96;
  reading.voltageV = 230;
  reading.relayOn = true;
  reading.timestamp = 1'763'800'000;
  CHECK(encodeConsumption("M1", reading) ==
        R"({"v":2,"meterNo":"M1","seq":7,"energyTotal":12.345678,"unitsConsumed":0.01,"remainingBalance":3.5,)"
        R"("powerW":450.5,"currentA":1.960,"voltageV":230.0,"relay":"on","timestamp":1763800000})");
}

TEST_CASE("readings out of range or not finite are clamped so the report stays valid") {
  ConsumptionReading reading;
  reading.powerW = NAN;
  reading.currentA = 1e12;
  reading.voltageV = -INFINITY;
  reading.timestamp = 1;
  const auto decoded = decodeConsumption(encodeConsumption("M1", reading));
  CHECK(decoded.ok());
}

TEST_CASE("status reports pass the server's schema, with long text trimmed") {
  StatusReading reading;
  reading.status = MeterStatus::LowBalance;
  reading.message = std::string(300, 'm') + "\xF0\x9F\x98\x80";
  reading.balanceMwh = -1;
  reading.wifiRssi = -200;
  reading.firmware = "umeme-fw/0.1.0-with-a-very-long-build-suffix";
  reading.ack = "cmd-42";
  reading.timestamp = 1'763'800'000;
  const std::string payload = encodeStatus("M1", reading);
  const auto decoded = decodeStatus(payload);
  REQUIRE(decoded.ok());
  CHECK(decoded.value.status == "low_balance");
  CHECK(decoded.value.message->size() == kMaxStatusMessageLength);
  CHECK(decoded.value.wifiRssi == kMinRssi);
  CHECK(decoded.value.ack == std::string("cmd-42"));
  CHECK(decoded.value.balanceMwh == -1);

  StatusReading will;
  will.status = MeterStatus::Offline;
  const auto decodedWill = decodeStatus(encodeStatus("M1", will));
  REQUIRE(decodedWill.ok());
  CHECK_FALSE(decodedWill.value.timestamp.has_value());
}

TEST_CASE("the meter's balance view passes the server's schema") {
  BalanceReading reading{-300'000, 10'000'000, 10'300'000, 1'763'800'000};
  const auto decoded = decodeMeterBalance(encodeMeterBalance("M1", reading));
  REQUIRE(decoded.ok());
  CHECK(decoded.value.balanceMwh == -300'000);
  CHECK(decoded.value.creditLimitMwh == 10'000'000);
  CHECK(decoded.value.energyTotalMwh == 10'300'000);
}

TEST_CASE("truncation never splits a UTF-8 sequence") {
  CHECK(truncateUtf16("abc", 2) == "ab");
  CHECK(truncateUtf16("a\xF0\x9F\x98\x80", 2) == "a");  // the emoji needs two units
  CHECK(truncateUtf16("a\xF0\x9F\x98\x80", 3) == "a\xF0\x9F\x98\x80");
  CHECK(truncateUtf16("\xC3\xA9\xC3\xA9", 1) == "\xC3\xA9");
  CHECK(utf16Length("a\xF0\x9F\x98\x80\xC3\xA9") == 4);
}
