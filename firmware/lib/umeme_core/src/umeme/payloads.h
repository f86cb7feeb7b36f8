// MQTT payloads of docs/design.md §4, mirroring the zod schemas in
// packages/protocol/src/mqtt-payloads.ts field for field. Decoders accept exactly what
// the schemas accept (unknown fields are ignored); anything else is rejected whole, so a
// bad command can never change meter state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace umeme {

enum class DecodeError { None, Oversized, BadUtf8, BadJson, NotObject, TooComplex, Schema };

const char* describe(DecodeError error);

template <typename T>
struct Decoded {
  DecodeError error = DecodeError::Schema;
  T value{};
  bool ok() const { return error == DecodeError::None; }
};

// ---- server -> meter ------------------------------------------------------------

struct BalanceCommand {
  int64_t balanceMwh = 0;  // informational: the meter derives its balance from C - E
  int64_t creditLimitMwh = 0;
  int64_t timestamp = 0;
};

enum class RelayAction { Connect, Disconnect, Auto };

struct RelayCommand {
  RelayAction action = RelayAction::Auto;
  std::string reason;
  int64_t timestamp = 0;
  std::string id;  // empty when absent
};

struct ConfigCommand {
  int64_t publishIntervalS = 0;
  int64_t lowBalanceMwh = 0;
  int64_t emergencyCreditMwh = 0;
  std::optional<int64_t> maxLoadW;
  std::string id;  // empty when absent
};

Decoded<BalanceCommand> decodeBalanceCommand(std::string_view payload);
Decoded<RelayCommand> decodeRelayCommand(std::string_view payload);
Decoded<ConfigCommand> decodeConfigCommand(std::string_view payload);

// ---- meter -> server ------------------------------------------------------------

enum class MeterStatus { Online, Offline, LowBalance, Error, Tamper };

const char* statusName(MeterStatus status);

struct ConsumptionReading {
  int64_t seq = 0;
  int64_t energyTotalMwh = 0;
  int64_t unitsConsumedMwh = 0;  // since the last report that was not replaced unsent
  int64_t remainingBalanceMwh = 0;
  double powerW = 0.0;
  double currentA = 0.0;
  double voltageV = 0.0;
  bool relayOn = false;
  int64_t timestamp = 0;
};

struct StatusReading {
  MeterStatus status = MeterStatus::Online;
  std::string message;
  std::optional<int64_t> balanceMwh;
  std::optional<int> wifiRssi;
  std::string firmware;
  std::string ack;  // id of the last command applied; empty for none
  std::optional<int64_t> timestamp;
};

struct BalanceReading {
  int64_t balanceMwh = 0;
  int64_t creditLimitMwh = 0;
  int64_t energyTotalMwh = 0;
  int64_t timestamp = 0;
};

// meterNo must satisfy isValidMeterNo; the encoders clamp readings and trim strings to the
// schema's bounds so that every payload they produce is valid.
std::string encodeConsumption(std::string_view meterNo, const ConsumptionReading& reading);
std::string encodeStatus(std::string_view meterNo, const StatusReading& reading);
std::string encodeMeterBalance(std::string_view meterNo, const BalanceReading& reading);

// Reference decoders of meter reports, used by tests to check the encoders and the shared
// vectors; the firmware itself never reads these topics.
enum class ConsumptionKind { V2, Legacy };

struct ConsumptionReport {
  ConsumptionKind kind = ConsumptionKind::V2;
  std::string meterNo;
  int64_t seq = 0;  // 0 for legacy reports, which carry none
  int64_t energyTotalMwh = 0;
  std::optional<int64_t> unitsConsumedMwh;
  std::optional<int64_t> remainingBalanceMwh;
  std::optional<std::string> relay;
  int64_t timestamp = 0;
};

struct StatusReport {
  std::string meterNo;
  std::string status;
  std::optional<std::string> message;
  std::optional<int64_t> balanceMwh;
  std::optional<int64_t> wifiRssi;
  std::optional<std::string> firmware;
  std::optional<std::string> ack;
  std::optional<int64_t> timestamp;
};

Decoded<ConsumptionReport> decodeConsumption(std::string_view payload);
Decoded<StatusReport> decodeStatus(std::string_view payload);
Decoded<BalanceReading> decodeMeterBalance(std::string_view payload);

// Length of UTF-8 text in UTF-16 units, as JavaScript and zod count it.
std::size_t utf16Length(std::string_view text);

// Cuts text to at most maxUtf16 UTF-16 units without splitting a UTF-8 sequence.
std::string truncateUtf16(std::string_view text, std::size_t maxUtf16);

}  // namespace umeme
