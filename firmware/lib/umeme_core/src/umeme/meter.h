// The meter as a state machine with no I/O of its own: the glue (Arduino or Linux) feeds
// it sensor windows, MQTT messages and the clock, drives the relay from relayClosed() and
// sends what the outbox holds. Everything that decides money lives here, under test.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "umeme/credit.h"
#include "umeme/energy_register.h"
#include "umeme/outbox.h"
#include "umeme/payloads.h"
#include "umeme/sensor.h"
#include "umeme/storage.h"
#include "umeme/topics.h"

namespace umeme {

struct MeterOptions {
  std::string meterNo;
  std::string firmwareVersion = "umeme-fw/0.1.0";
  // The register is written to flash each time it has grown by this much, so a power cut
  // loses at most this much (5 Wh: 10 cents at 20 KES/kWh) while flash wear stays low.
  int64_t persistStepMwh = 5'000;
  // Until command/config says otherwise.
  uint32_t publishIntervalMs = 60'000;
  // Reported as voltageV: the hardware has no voltage channel.
  double nominalVoltageV = 230.0;
  // Current through an open relay for this long means a welded relay or a bypass.
  uint32_t tamperHoldMs = 30'000;
  // A rejected command is logged at most once per this period, with a count.
  uint32_t rejectionLogPeriodMs = 60'000;
};

enum class CommandOutcome {
  Applied,    // state changed
  Unchanged,  // valid but nothing to do (e.g. a stale credit limit)
  Rejected,   // malformed, oversized or out of range: dropped, state untouched
  NotForUs,   // a topic that is not this meter's command topic
};

struct CommandResult {
  CommandOutcome outcome = CommandOutcome::Rejected;
  DecodeError error = DecodeError::None;
};

// Storage keys (at most 15 characters for NVS).
namespace keys {
inline constexpr const char* kEnergy = "energy_mwh";
inline constexpr const char* kCreditLimit = "credit_mwh";
inline constexpr const char* kOverride = "relay_override";
inline constexpr const char* kPublishInterval = "publish_int_s";
inline constexpr const char* kLowBalance = "low_bal_mwh";
inline constexpr const char* kEmergency = "emergency_mwh";
inline constexpr const char* kMaxLoad = "max_load_w";
inline constexpr const char* kSeqEpoch = "seq_epoch";
}  // namespace keys

class Meter {
 public:
  Meter(MeterOptions options, Storage& storage);

  // Restores the register, credit limit, override and settings, and starts a new sequence
  // epoch so that report numbers keep growing across reboots.
  void boot();

  // One sensor window of durationMs: integrates its energy and re-decides the relay.
  void recordMeasurement(const Measurement& measurement, uint32_t durationMs);

  // A message from the broker. Anything malformed is counted and dropped.
  CommandResult handleMessage(std::string_view topic, std::string_view payload);

  // A (re)connection: the retained "online" status overwrites the Last Will, and the
  // meter's totals go out at once so the server can catch up.
  void onConnected();
  void onDisconnected();

  // Housekeeping, called every loop: queues due reports, writes the register when due.
  // unixNow below 2020 means the clock is not set yet; reports that need a timestamp wait.
  void poll(uint64_t nowMs, int64_t unixNow);

  // A clean stop: writes the register and queues a retained "offline" status.
  void shutdown(int64_t unixNow);

  std::string lastWillPayload() const;

  bool relayClosed() const { return relayClosed_; }
  int64_t energyMwh() const { return register_.totalMwh(); }
  int64_t creditLimitMwh() const { return creditLimitMwh_; }
  int64_t balanceMwh() const { return umeme::balanceMwh(energyMwh(), creditLimitMwh_); }
  int64_t persistedEnergyMwh() const { return persistedEnergyMwh_; }
  int64_t emergencyCreditMwh() const { return emergencyCreditMwh_; }
  int64_t lowBalanceMwh() const { return lowBalanceMwh_; }
  uint32_t publishIntervalMs() const { return publishIntervalMs_; }
  std::optional<int64_t> maxLoadW() const { return maxLoadW_; }
  RelayOverride relayOverride() const { return override_; }
  MeterStatus status() const;
  int64_t lastSeq() const { return lastSeq_; }
  const std::string& meterNo() const { return options_.meterNo; }
  const Measurement& lastMeasurement() const { return lastMeasurement_; }

  void setWifiRssi(std::optional<int> rssi) { wifiRssi_ = rssi; }
  // Lets the glue (or a test) override the interval, e.g. a fast native test run.
  void setPublishIntervalMs(uint32_t intervalMs);

  Outbox& outbox() { return outbox_; }

  uint64_t rejectedCommands() const { return rejectedTotal_; }
  // A summary of commands rejected since the last one, at most once per period.
  std::optional<std::string> takeRejectionLog(uint64_t nowMs);

 private:
  void updateRelay();
  void persistEnergy();
  bool persistU64(const char* key, int64_t value);
  int64_t nextSeq();
  void queueConsumption(int64_t unixNow);
  void queueStatus(std::optional<int64_t> unixNow);
  void queueBalanceView(int64_t unixNow);
  std::string statusMessage(MeterStatus status) const;
  CommandOutcome applyBalance(const BalanceCommand& command);
  CommandOutcome applyRelay(const RelayCommand& command);
  CommandOutcome applyConfig(const ConfigCommand& command);
  void reject(std::string_view what, DecodeError error);

  MeterOptions options_;
  Storage& storage_;
  Outbox outbox_;

  EnergyRegister register_;
  int64_t persistedEnergyMwh_ = 0;
  int64_t creditLimitMwh_ = 0;
  int64_t emergencyCreditMwh_ = 0;
  int64_t lowBalanceMwh_ = 0;
  std::optional<int64_t> maxLoadW_;
  RelayOverride override_ = RelayOverride::Auto;
  uint32_t publishIntervalMs_;
  bool relayClosed_ = false;

  Measurement lastMeasurement_;
  uint32_t openRelayCurrentMs_ = 0;
  std::optional<int> wifiRssi_;

  uint64_t seqEpoch_ = 0;
  uint64_t seqInEpoch_ = 0;
  int64_t lastSeq_ = -1;
  // unitsConsumed of a report counts from the last report that was not replaced unsent.
  int64_t energyAtLastReportMwh_ = 0;
  int64_t unitsBaseMwh_ = 0;
  std::optional<uint64_t> lastReportMs_;

  // Work for the next poll(): set by events, cleared once queued.
  bool consumptionDue_ = true;
  bool balanceViewDue_ = false;
  bool statusDue_ = false;
  bool persistDue_ = false;
  std::optional<MeterStatus> lastQueuedStatus_;
  std::string pendingAck_;

  uint64_t rejectedTotal_ = 0;
  uint64_t rejectedSinceLog_ = 0;
  std::string lastRejection_;
  std::optional<uint64_t> lastRejectionLogMs_;
};

}  // namespace umeme
