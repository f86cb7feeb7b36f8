#include "umeme/meter.h"

#include <algorithm>
#include <cstdio>

#include "umeme/limits.h"
#include "umeme/units.h"

namespace umeme {

namespace {

// Sequence numbers are epoch x 2^20 + count: the epoch is written once per boot, so the
// numbers grow across reboots without a flash write per report.
constexpr unsigned kSeqEpochBits = 20;
constexpr uint64_t kSeqPerEpoch = uint64_t{1} << kSeqEpochBits;

bool clockIsSet(int64_t unixNow) { return unixNow >= kMinValidUnixSeconds && unixNow <= kMaxUnixSeconds; }

}  // namespace

Meter::Meter(MeterOptions options, Storage& storage)
    : options_(std::move(options)), storage_(storage), publishIntervalMs_(options_.publishIntervalMs) {}

void Meter::boot() {
  const auto stored = [this](const char* key) -> std::optional<int64_t> {
    const std::optional<uint64_t> value = storage_.loadU64(key);
    if (!value || *value > static_cast<uint64_t>(kMaxSafeInteger)) return std::nullopt;
    return static_cast<int64_t>(*value);
  };
  register_.restore(stored(keys::kEnergy).value_or(0));
  persistedEnergyMwh_ = register_.totalMwh();
  energyAtLastReportMwh_ = persistedEnergyMwh_;
  unitsBaseMwh_ = persistedEnergyMwh_;
  creditLimitMwh_ = std::max(creditLimitMwh_, stored(keys::kCreditLimit).value_or(0));
  emergencyCreditMwh_ = stored(keys::kEmergency).value_or(emergencyCreditMwh_);
  lowBalanceMwh_ = stored(keys::kLowBalance).value_or(lowBalanceMwh_);
  if (const auto interval = stored(keys::kPublishInterval);
      interval && *interval >= kMinPublishIntervalS && *interval <= kMaxPublishIntervalS) {
    publishIntervalMs_ = static_cast<uint32_t>(*interval * 1000);
  }
  if (const auto maxLoad = stored(keys::kMaxLoad); maxLoad && *maxLoad <= kMaxLoadLimitW) maxLoadW_ = maxLoad;
  if (const auto override = stored(keys::kOverride); override && *override <= 2) {
    override_ = static_cast<RelayOverride>(*override);
  }
  seqEpoch_ = static_cast<uint64_t>(stored(keys::kSeqEpoch).value_or(0)) + 1;
  // If this write fails the epoch may repeat after the next reboot: seq is informational
  // (the server orders by energyTotal), so the meter carries on.
  persistU64(keys::kSeqEpoch, static_cast<int64_t>(seqEpoch_));
  seqInEpoch_ = 0;
  consumptionDue_ = true;
  updateRelay();
}

void Meter::recordMeasurement(const Measurement& measurement, uint32_t durationMs) {
  lastMeasurement_ = measurement;
  register_.accumulate(measurement.powerMw, durationMs);

  if (!relayClosed_ && measurement.powerMw > 0) {
    openRelayCurrentMs_ = static_cast<uint32_t>(
        std::min<uint64_t>(uint64_t{openRelayCurrentMs_} + durationMs, UINT32_MAX));
  } else {
    openRelayCurrentMs_ = 0;
  }

  if (register_.totalMwh() - persistedEnergyMwh_ >= options_.persistStepMwh) persistDue_ = true;
  updateRelay();
}

void Meter::updateRelay() {
  const bool closed = relayShouldBeClosed(register_.totalMwh(), creditLimitMwh_, emergencyCreditMwh_, override_);
  if (closed == relayClosed_) return;
  relayClosed_ = closed;
  // A relay change is news for the server and the customer: report it now, not at the
  // next interval. When the supply is cut, the register is written too, so a reboot
  // cannot hand back energy that was already used.
  consumptionDue_ = true;
  statusDue_ = true;
  if (!closed && register_.totalMwh() != persistedEnergyMwh_) persistDue_ = true;
}

CommandResult Meter::handleMessage(std::string_view topic, std::string_view payload) {
  const std::optional<CommandKind> kind = parseCommandTopic(options_.meterNo, topic);
  if (!kind) {
    reject("foreign topic", DecodeError::None);
    return {CommandOutcome::NotForUs, DecodeError::None};
  }
  switch (*kind) {
    case CommandKind::Balance: {
      const Decoded<BalanceCommand> command = decodeBalanceCommand(payload);
      if (!command.ok()) {
        reject("command/balance", command.error);
        return {CommandOutcome::Rejected, command.error};
      }
      return {applyBalance(command.value), DecodeError::None};
    }
    case CommandKind::Relay: {
      const Decoded<RelayCommand> command = decodeRelayCommand(payload);
      if (!command.ok()) {
        reject("command/relay", command.error);
        return {CommandOutcome::Rejected, command.error};
      }
      return {applyRelay(command.value), DecodeError::None};
    }
    case CommandKind::Config: {
      const Decoded<ConfigCommand> command = decodeConfigCommand(payload);
      if (!command.ok()) {
        reject("command/config", command.error);
        return {CommandOutcome::Rejected, command.error};
      }
      return {applyConfig(command.value), DecodeError::None};
    }
  }
  return {CommandOutcome::Rejected, DecodeError::Schema};
}

CommandOutcome Meter::applyBalance(const BalanceCommand& command) {
  if (!keepLargestCreditLimit(creditLimitMwh_, command.creditLimitMwh)) return CommandOutcome::Unchanged;
  // Written before anything else reacts: a reboot must not forget a payment.
  persistU64(keys::kCreditLimit, creditLimitMwh_);
  balanceViewDue_ = true;
  statusDue_ = true;
  updateRelay();
  return CommandOutcome::Applied;
}

CommandOutcome Meter::applyRelay(const RelayCommand& command) {
  RelayOverride next = RelayOverride::Auto;
  switch (command.action) {
    case RelayAction::Connect: next = RelayOverride::Connect; break;
    case RelayAction::Disconnect: next = RelayOverride::Disconnect; break;
    case RelayAction::Auto: next = RelayOverride::Auto; break;
  }
  // The acknowledgement goes out even for a repeated command: the server retires a
  // persistent command when it sees its id, whatever the meter's state was.
  if (!command.id.empty()) pendingAck_ = command.id;
  statusDue_ = true;
  if (next == override_) return CommandOutcome::Unchanged;
  override_ = next;
  persistU64(keys::kOverride, static_cast<int64_t>(override_));
  updateRelay();
  return CommandOutcome::Applied;
}

CommandOutcome Meter::applyConfig(const ConfigCommand& command) {
  if (!command.id.empty()) pendingAck_ = command.id;
  statusDue_ = true;
  const auto intervalMs = static_cast<uint32_t>(command.publishIntervalS * 1000);
  const bool changed = intervalMs != publishIntervalMs_ || command.lowBalanceMwh != lowBalanceMwh_ ||
                       command.emergencyCreditMwh != emergencyCreditMwh_ || command.maxLoadW != maxLoadW_;
  if (!changed) return CommandOutcome::Unchanged;
  publishIntervalMs_ = intervalMs;
  lowBalanceMwh_ = command.lowBalanceMwh;
  emergencyCreditMwh_ = command.emergencyCreditMwh;
  maxLoadW_ = command.maxLoadW;
  persistU64(keys::kPublishInterval, command.publishIntervalS);
  persistU64(keys::kLowBalance, lowBalanceMwh_);
  persistU64(keys::kEmergency, emergencyCreditMwh_);
  // A value above the schema's bound records "no limit"; boot() reads it back as none.
  persistU64(keys::kMaxLoad, maxLoadW_.value_or(kMaxLoadLimitW + 1));
  updateRelay();
  return CommandOutcome::Applied;
}

void Meter::reject(std::string_view what, DecodeError error) {
  ++rejectedTotal_;
  ++rejectedSinceLog_;
  lastRejection_ = std::string(what);
  if (error != DecodeError::None) {
    lastRejection_ += ": ";
    lastRejection_ += describe(error);
  }
}

std::optional<std::string> Meter::takeRejectionLog(uint64_t nowMs) {
  if (rejectedSinceLog_ == 0) return std::nullopt;
  if (lastRejectionLogMs_ && nowMs - *lastRejectionLogMs_ < options_.rejectionLogPeriodMs) return std::nullopt;
  char line[160];
  std::snprintf(line, sizeof line, "rejected %llu message(s), last: %s",
                static_cast<unsigned long long>(rejectedSinceLog_), lastRejection_.c_str());
  rejectedSinceLog_ = 0;
  lastRejectionLogMs_ = nowMs;
  return std::string(line);
}

void Meter::onConnected() {
  consumptionDue_ = true;
  balanceViewDue_ = true;
  statusDue_ = true;
  lastQueuedStatus_.reset();
}

void Meter::onDisconnected() { outbox_.connectionLost(); }

void Meter::setPublishIntervalMs(uint32_t intervalMs) { publishIntervalMs_ = std::max<uint32_t>(intervalMs, 1); }

MeterStatus Meter::status() const {
  if (openRelayCurrentMs_ >= options_.tamperHoldMs) return MeterStatus::Tamper;
  // Under the credit rule an open relay means the credit is used up: the lowest balance.
  if (override_ == RelayOverride::Auto &&
      (!relayClosed_ || isLowBalance(energyMwh(), creditLimitMwh_, lowBalanceMwh_))) {
    return MeterStatus::LowBalance;
  }
  return MeterStatus::Online;
}

void Meter::poll(uint64_t nowMs, int64_t unixNow) {
  if (persistDue_) persistEnergy();

  if (!lastReportMs_ || nowMs - *lastReportMs_ >= publishIntervalMs_) consumptionDue_ = true;
  const MeterStatus current = status();
  if (!lastQueuedStatus_ || *lastQueuedStatus_ != current) statusDue_ = true;

  const bool clockSet = clockIsSet(unixNow);
  if (statusDue_) {
    queueStatus(clockSet ? std::optional<int64_t>(unixNow) : std::nullopt);
    statusDue_ = false;
  }
  if (!clockSet) return;  // the reports below carry a required timestamp
  if (balanceViewDue_) {
    queueBalanceView(unixNow);
    balanceViewDue_ = false;
  }
  if (consumptionDue_) {
    queueConsumption(unixNow);
    consumptionDue_ = false;
    lastReportMs_ = nowMs;
  }
}

void Meter::shutdown(int64_t unixNow) {
  persistEnergy();
  StatusReading reading;
  reading.status = MeterStatus::Offline;
  reading.message = "shutting down";
  reading.balanceMwh = balanceMwh();
  reading.firmware = options_.firmwareVersion;
  if (clockIsSet(unixNow)) reading.timestamp = unixNow;
  outbox_.put(ReportChannel::Status, encodeStatus(options_.meterNo, reading), true);
}

std::string Meter::lastWillPayload() const {
  // No balance or timestamp: the broker sends this later, when both would be stale.
  StatusReading reading;
  reading.status = MeterStatus::Offline;
  reading.message = "connection lost";
  reading.firmware = options_.firmwareVersion;
  return encodeStatus(options_.meterNo, reading);
}

void Meter::persistEnergy() {
  const int64_t total = register_.totalMwh();
  if (total == persistedEnergyMwh_) {
    persistDue_ = false;
    return;
  }
  // On failure persistDue_ stays set and the next poll tries again.
  if (persistU64(keys::kEnergy, total)) {
    persistedEnergyMwh_ = total;
    persistDue_ = false;
  }
}

bool Meter::persistU64(const char* key, int64_t value) {
  return value >= 0 && storage_.storeU64(key, static_cast<uint64_t>(value));
}

int64_t Meter::nextSeq() {
  if (seqInEpoch_ >= kSeqPerEpoch) {
    ++seqEpoch_;
    persistU64(keys::kSeqEpoch, static_cast<int64_t>(seqEpoch_));
    seqInEpoch_ = 0;
  }
  const uint64_t seq = (seqEpoch_ << kSeqEpochBits) | seqInEpoch_++;
  lastSeq_ = static_cast<int64_t>(std::min<uint64_t>(seq, static_cast<uint64_t>(kMaxSafeInteger)));
  return lastSeq_;
}

void Meter::queueConsumption(int64_t unixNow) {
  ConsumptionReading reading;
  reading.seq = nextSeq();
  reading.energyTotalMwh = register_.totalMwh();
  // A report still waiting in the outbox is about to be replaced: its units fold into
  // this one, so the units the server receives add up to the register's growth.
  if (!outbox_.isWaiting(ReportChannel::Consumption)) unitsBaseMwh_ = energyAtLastReportMwh_;
  reading.unitsConsumedMwh = reading.energyTotalMwh - unitsBaseMwh_;
  reading.remainingBalanceMwh = balanceMwh();
  reading.powerW = lastMeasurement_.powerW;
  reading.currentA = lastMeasurement_.currentA;
  reading.voltageV = options_.nominalVoltageV;
  reading.relayOn = relayClosed_;
  reading.timestamp = unixNow;
  energyAtLastReportMwh_ = reading.energyTotalMwh;
  outbox_.put(ReportChannel::Consumption, encodeConsumption(options_.meterNo, reading), false);
}

void Meter::queueBalanceView(int64_t unixNow) {
  BalanceReading reading;
  reading.balanceMwh = balanceMwh();
  reading.creditLimitMwh = creditLimitMwh_;
  reading.energyTotalMwh = register_.totalMwh();
  reading.timestamp = unixNow;
  outbox_.put(ReportChannel::Balance, encodeMeterBalance(options_.meterNo, reading), false);
}

std::string Meter::statusMessage(MeterStatus current) const {
  const std::string balance = formatMwhAsKwh(balanceMwh());
  const char* relay = relayClosed_ ? "on" : "off";
  std::string reason;
  switch (override_) {
    case RelayOverride::Connect: reason = " (operator: connected)"; break;
    case RelayOverride::Disconnect: reason = " (operator: disconnected)"; break;
    case RelayOverride::Auto: break;
  }
  switch (current) {
    case MeterStatus::Tamper: return "current flowing with the relay open";
    case MeterStatus::LowBalance:
      return (relayClosed_ ? "low balance " : "credit exhausted ") + balance + " kWh, relay " + relay;
    case MeterStatus::Online:
    case MeterStatus::Offline:
    case MeterStatus::Error: break;
  }
  return "balance " + balance + " kWh, relay " + relay + reason;
}

void Meter::queueStatus(std::optional<int64_t> unixNow) {
  const MeterStatus current = status();
  StatusReading reading;
  reading.status = current;
  reading.message = statusMessage(current);
  reading.balanceMwh = balanceMwh();
  reading.wifiRssi = wifiRssi_;
  reading.firmware = options_.firmwareVersion;
  reading.ack = pendingAck_;
  reading.timestamp = unixNow;
  // Retained, so that it replaces a retained Last Will left by an earlier connection.
  outbox_.put(ReportChannel::Status, encodeStatus(options_.meterNo, reading), true);
  lastQueuedStatus_ = current;
  // The ack stays in later statuses too: the slot only ever holds the newest status, so
  // a status carrying the ack may be replaced before it is sent.
}

}  // namespace umeme
