#include "umeme/payloads.h"

#include <algorithm>
#include <cmath>

#include "umeme/json.h"
#include "umeme/json_writer.h"
#include "umeme/limits.h"
#include "umeme/topics.h"
#include "umeme/units.h"

namespace umeme {

const char* describe(DecodeError error) {
  switch (error) {
    case DecodeError::None: return "ok";
    case DecodeError::Oversized: return "oversized";
    case DecodeError::BadUtf8: return "bad_utf8";
    case DecodeError::BadJson: return "bad_json";
    case DecodeError::NotObject: return "not_object";
    case DecodeError::TooComplex: return "too_complex";
    case DecodeError::Schema: return "schema";
  }
  return "unknown";
}

const char* statusName(MeterStatus status) {
  switch (status) {
    case MeterStatus::Online: return "online";
    case MeterStatus::Offline: return "offline";
    case MeterStatus::LowBalance: return "low_balance";
    case MeterStatus::Error: return "error";
    case MeterStatus::Tamper: return "tamper";
  }
  return "error";
}

namespace {

DecodeError fromJsonError(JsonError error) {
  switch (error) {
    case JsonError::None: return DecodeError::None;
    case JsonError::Oversized: return DecodeError::Oversized;
    case JsonError::BadUtf8: return DecodeError::BadUtf8;
    case JsonError::BadJson: return DecodeError::BadJson;
    case JsonError::NotObject: return DecodeError::NotObject;
    case JsonError::TooComplex: return DecodeError::TooComplex;
  }
  return DecodeError::BadJson;
}

// Field readers. Each returns false when the field breaks the schema; an absent optional
// field leaves `out` empty. As in zod, null is not "absent": an optional field set to null
// is invalid.
enum class Presence { Required, Optional };

const JsonValue* lookup(const JsonObject& object, std::string_view key, Presence presence, bool& ok) {
  const JsonValue* value = object.find(key);
  ok = value != nullptr || presence == Presence::Optional;
  return value;
}

bool readNumber(const JsonObject& object, std::string_view key, Presence presence, double min, double max,
                std::optional<double>& out) {
  bool ok = false;
  const JsonValue* value = lookup(object, key, presence, ok);
  if (value == nullptr) return ok;
  if (value->type != JsonType::Number || !std::isfinite(value->number)) return false;
  if (value->number < min || value->number > max) return false;
  out = value->number;
  return true;
}

// z.number().int(): a safe integer, then the bounds.
bool readInteger(const JsonObject& object, std::string_view key, Presence presence, int64_t min, int64_t max,
                 std::optional<int64_t>& out) {
  std::optional<double> number;
  if (!readNumber(object, key, presence, -static_cast<double>(kMaxSafeInteger),
                  static_cast<double>(kMaxSafeInteger), number)) {
    return false;
  }
  if (!number) return true;
  if (std::trunc(*number) != *number) return false;
  const auto integer = static_cast<int64_t>(*number);
  if (integer < min || integer > max) return false;
  out = integer;
  return true;
}

// A kWh quantity, converted to mWh the way units.ts does.
bool readKwh(const JsonObject& object, std::string_view key, Presence presence, bool allowNegative,
             std::optional<int64_t>& outMwh) {
  std::optional<double> kwh;
  if (!readNumber(object, key, presence, allowNegative ? -kMaxWireQuantity : 0.0, kMaxWireQuantity, kwh)) {
    return false;
  }
  if (!kwh) return true;
  outMwh = kwhToMwh(*kwh);
  return outMwh.has_value();
}

bool readString(const JsonObject& object, std::string_view key, Presence presence, std::size_t maxUtf16,
                std::optional<std::string>& out) {
  bool ok = false;
  const JsonValue* value = lookup(object, key, presence, ok);
  if (value == nullptr) return ok;
  if (value->type != JsonType::String || value->utf16Length > maxUtf16) return false;
  out = value->text;
  return true;
}

bool readMeterNo(const JsonObject& object, std::optional<std::string>& out) {
  return readString(object, "meterNo", Presence::Required, kMaxMeterNoLength, out) && isValidMeterNo(*out);
}

template <typename T>
Decoded<T> schemaError() {
  return Decoded<T>{DecodeError::Schema, T{}};
}

}  // namespace

Decoded<BalanceCommand> decodeBalanceCommand(std::string_view payload) {
  JsonObject object;
  if (const JsonError error = parseJsonObject(payload, object); error != JsonError::None) {
    return {fromJsonError(error), {}};
  }
  std::optional<int64_t> balance, creditLimit, timestamp;
  if (!readKwh(object, "balance", Presence::Required, true, balance) ||
      !readKwh(object, "creditLimit", Presence::Required, false, creditLimit) ||
      !readInteger(object, "timestamp", Presence::Required, 0, kMaxUnixSeconds, timestamp)) {
    return schemaError<BalanceCommand>();
  }
  return {DecodeError::None, BalanceCommand{*balance, *creditLimit, *timestamp}};
}

Decoded<RelayCommand> decodeRelayCommand(std::string_view payload) {
  JsonObject object;
  if (const JsonError error = parseJsonObject(payload, object); error != JsonError::None) {
    return {fromJsonError(error), {}};
  }
  std::optional<std::string> action, reason, id;
  std::optional<int64_t> timestamp;
  if (!readString(object, "action", Presence::Required, kMaxReasonLength, action) ||
      !readString(object, "reason", Presence::Required, kMaxReasonLength, reason) ||
      !readInteger(object, "timestamp", Presence::Required, 0, kMaxUnixSeconds, timestamp) ||
      !readString(object, "id", Presence::Optional, kMaxCommandIdLength, id)) {
    return schemaError<RelayCommand>();
  }
  RelayCommand command;
  if (*action == "connect") {
    command.action = RelayAction::Connect;
  } else if (*action == "disconnect") {
    command.action = RelayAction::Disconnect;
  } else if (*action == "auto") {
    command.action = RelayAction::Auto;
  } else {
    return schemaError<RelayCommand>();
  }
  command.reason = std::move(*reason);
  command.timestamp = *timestamp;
  command.id = id.value_or("");
  return {DecodeError::None, std::move(command)};
}

Decoded<ConfigCommand> decodeConfigCommand(std::string_view payload) {
  JsonObject object;
  if (const JsonError error = parseJsonObject(payload, object); error != JsonError::None) {
    return {fromJsonError(error), {}};
  }
  std::optional<int64_t> interval, lowBalance, emergency, maxLoad;
  std::optional<std::string> id;
  if (!readInteger(object, "publishIntervalS", Presence::Required, kMinPublishIntervalS, kMaxPublishIntervalS,
                   interval) ||
      !readKwh(object, "lowBalanceKwh", Presence::Required, false, lowBalance) ||
      !readKwh(object, "emergencyCreditKwh", Presence::Required, false, emergency) ||
      !readInteger(object, "maxLoadW", Presence::Optional, 0, kMaxLoadLimitW, maxLoad) ||
      !readString(object, "id", Presence::Optional, kMaxCommandIdLength, id)) {
    return schemaError<ConfigCommand>();
  }
  ConfigCommand command;
  command.publishIntervalS = *interval;
  command.lowBalanceMwh = *lowBalance;
  command.emergencyCreditMwh = *emergency;
  command.maxLoadW = maxLoad;
  command.id = id.value_or("");
  return {DecodeError::None, std::move(command)};
}

Decoded<ConsumptionReport> decodeConsumption(std::string_view payload) {
  JsonObject object;
  if (const JsonError error = parseJsonObject(payload, object); error != JsonError::None) {
    return {fromJsonError(error), {}};
  }
  ConsumptionReport report;
  std::optional<std::string> meterNo, relay;
  std::optional<int64_t> seq, energyTotal, units, remaining, timestamp;
  std::optional<double> power, current, voltage;
  // Same discriminator as decodeConsumption in mqtt-payloads.ts.
  if (object.has("v") || object.has("energyTotal")) {
    const JsonValue* v = object.find("v");
    if (v == nullptr || v->type != JsonType::Number || v->number != 2.0) return schemaError<ConsumptionReport>();
    if (!readMeterNo(object, meterNo) ||
        !readInteger(object, "seq", Presence::Required, 0, kMaxSafeInteger, seq) ||
        !readKwh(object, "energyTotal", Presence::Required, false, energyTotal) ||
        !readKwh(object, "unitsConsumed", Presence::Optional, false, units) ||
        !readKwh(object, "remainingBalance", Presence::Optional, true, remaining) ||
        !readNumber(object, "powerW", Presence::Optional, -kMaxReading, kMaxReading, power) ||
        !readNumber(object, "currentA", Presence::Optional, -kMaxReading, kMaxReading, current) ||
        !readNumber(object, "voltageV", Presence::Optional, -kMaxReading, kMaxReading, voltage) ||
        !readString(object, "relay", Presence::Optional, 3, relay) ||
        !readInteger(object, "timestamp", Presence::Required, 0, kMaxUnixSeconds, timestamp)) {
      return schemaError<ConsumptionReport>();
    }
    if (relay && *relay != "on" && *relay != "off") return schemaError<ConsumptionReport>();
    report.kind = ConsumptionKind::V2;
    report.seq = *seq;
  } else {
    if (!readMeterNo(object, meterNo) ||
        !readKwh(object, "unitsConsumed", Presence::Required, false, units) ||
        !readKwh(object, "remainingBalance", Presence::Required, true, remaining) ||
        !readKwh(object, "totalConsumed", Presence::Required, false, energyTotal) ||
        !readInteger(object, "timestamp", Presence::Required, 0, kMaxUnixSeconds, timestamp)) {
      return schemaError<ConsumptionReport>();
    }
    report.kind = ConsumptionKind::Legacy;
  }
  report.meterNo = std::move(*meterNo);
  report.energyTotalMwh = *energyTotal;
  report.unitsConsumedMwh = units;
  report.remainingBalanceMwh = remaining;
  report.relay = std::move(relay);
  report.timestamp = *timestamp;
  return {DecodeError::None, std::move(report)};
}

Decoded<StatusReport> decodeStatus(std::string_view payload) {
  JsonObject object;
  if (const JsonError error = parseJsonObject(payload, object); error != JsonError::None) {
    return {fromJsonError(error), {}};
  }
  StatusReport report;
  std::optional<std::string> meterNo, status;
  if (!readMeterNo(object, meterNo) || !readString(object, "status", Presence::Required, 16, status) ||
      !readString(object, "message", Presence::Optional, kMaxStatusMessageLength, report.message) ||
      !readKwh(object, "balance", Presence::Optional, true, report.balanceMwh) ||
      !readInteger(object, "wifi_rssi", Presence::Optional, kMinRssi, 0, report.wifiRssi) ||
      !readString(object, "fw", Presence::Optional, kMaxFirmwareLength, report.firmware) ||
      !readString(object, "ack", Presence::Optional, kMaxCommandIdLength, report.ack) ||
      !readInteger(object, "timestamp", Presence::Optional, 0, kMaxUnixSeconds, report.timestamp)) {
    return schemaError<StatusReport>();
  }
  static constexpr std::string_view kStatuses[] = {"online", "offline", "low_balance", "error", "tamper"};
  if (std::find(std::begin(kStatuses), std::end(kStatuses), *status) == std::end(kStatuses)) {
    return schemaError<StatusReport>();
  }
  report.meterNo = std::move(*meterNo);
  report.status = std::move(*status);
  return {DecodeError::None, std::move(report)};
}

Decoded<BalanceReading> decodeMeterBalance(std::string_view payload) {
  JsonObject object;
  if (const JsonError error = parseJsonObject(payload, object); error != JsonError::None) {
    return {fromJsonError(error), {}};
  }
  std::optional<std::string> meterNo;
  std::optional<int64_t> balance, creditLimit, energyTotal, timestamp;
  if (!readMeterNo(object, meterNo) || !readKwh(object, "balance", Presence::Required, true, balance) ||
      !readKwh(object, "creditLimit", Presence::Required, false, creditLimit) ||
      !readKwh(object, "energyTotal", Presence::Required, false, energyTotal) ||
      !readInteger(object, "timestamp", Presence::Required, 0, kMaxUnixSeconds, timestamp)) {
    return schemaError<BalanceReading>();
  }
  return {DecodeError::None, BalanceReading{*balance, *creditLimit, *energyTotal, *timestamp}};
}

// ---- encoders -----------------------------------------------------------------------

namespace {

// Bytes in the UTF-8 sequence a lead byte starts, and the UTF-16 units it becomes.
std::size_t sequenceLength(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

std::size_t utf16Length(std::string_view text) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < text.size(); i += sequenceLength(static_cast<unsigned char>(text[i]))) {
    units += sequenceLength(static_cast<unsigned char>(text[i])) == 4 ? 2U : 1U;
  }
  return units;
}

std::string truncateUtf16(std::string_view text, std::size_t maxUtf16) {
  std::size_t units = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t length = sequenceLength(static_cast<unsigned char>(text[i]));
    const std::size_t cost = length == 4 ? 2U : 1U;
    if (units + cost > maxUtf16 || i + length > text.size()) break;
    units += cost;
    i += length;
  }
  return std::string(text.substr(0, i));
}

namespace {

double clampReading(double value) {
  if (!std::isfinite(value)) return 0.0;
  return std::clamp(value, -kMaxReading, kMaxReading);
}

int64_t clampKwhMagnitude(int64_t mwh, bool allowNegative) {
  const int64_t limit = static_cast<int64_t>(kMaxWireQuantity) * kMwhPerKwh;
  return std::clamp(mwh, allowNegative ? -limit : int64_t{0}, limit);
}

int64_t clampTimestamp(int64_t unixSeconds) { return std::clamp(unixSeconds, int64_t{0}, kMaxUnixSeconds); }

}  // namespace

std::string encodeConsumption(std::string_view meterNo, const ConsumptionReading& reading) {
  return JsonWriter()
      .integer("v", 2)
      .string("meterNo", meterNo)
      .integer("seq", std::clamp(reading.seq, int64_t{0}, kMaxSafeInteger))
      .kwh("energyTotal", clampKwhMagnitude(reading.energyTotalMwh, false))
      .kwh("unitsConsumed", clampKwhMagnitude(reading.unitsConsumedMwh, false))
      .kwh("remainingBalance", clampKwhMagnitude(reading.remainingBalanceMwh, true))
      .fixed("powerW", clampReading(reading.powerW), 1)
      .fixed("currentA", clampReading(reading.currentA), 3)
      .fixed("voltageV", clampReading(reading.voltageV), 1)
      .string("relay", reading.relayOn ? "on" : "off")
      .integer("timestamp", clampTimestamp(reading.timestamp))
      .finish();
}

std::string encodeStatus(std::string_view meterNo, const StatusReading& reading) {
  JsonWriter writer;
  writer.string("meterNo", meterNo).string("status", statusName(reading.status));
  writer.string("message", truncateUtf16(reading.message, kMaxStatusMessageLength));
  if (reading.balanceMwh) writer.kwh("balance", clampKwhMagnitude(*reading.balanceMwh, true));
  if (reading.wifiRssi) writer.integer("wifi_rssi", std::clamp(*reading.wifiRssi, kMinRssi, 0));
  if (!reading.firmware.empty()) writer.string("fw", truncateUtf16(reading.firmware, kMaxFirmwareLength));
  // An id longer than the schema allows could never have been accepted, so it is dropped
  // rather than cut into an id that names nothing.
  if (!reading.ack.empty() && utf16Length(reading.ack) <= kMaxCommandIdLength) writer.string("ack", reading.ack);
  if (reading.timestamp) writer.integer("timestamp", clampTimestamp(*reading.timestamp));
  return writer.finish();
}

std::string encodeMeterBalance(std::string_view meterNo, const BalanceReading& reading) {
  return JsonWriter()
      .string("meterNo", meterNo)
      .kwh("balance", clampKwhMagnitude(reading.balanceMwh, true))
      .kwh("creditLimit", clampKwhMagnitude(reading.creditLimitMwh, false))
      .kwh("energyTotal", clampKwhMagnitude(reading.energyTotalMwh, false))
      .integer("timestamp", clampTimestamp(reading.timestamp))
      .finish();
}

}  // namespace umeme
