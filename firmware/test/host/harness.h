// A meter on a test bench: memory storage, a hand-driven clock, and exact energy feeds.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "umeme/meter.h"

namespace bench {

inline constexpr int64_t kUnixNow = 1'763'800'000;

struct Bench {
  explicit Bench(umeme::MeterOptions meterOptions = defaultOptions()) : options(std::move(meterOptions)) {
    reboot();
  }

  static umeme::MeterOptions defaultOptions() {
    umeme::MeterOptions options;
    options.meterNo = "M1";
    options.publishIntervalMs = 10'000;
    return options;
  }

  // A power cut and restart: the meter object is dropped without shutdown(); only what
  // reached storage survives.
  void reboot() {
    meter = std::make_unique<umeme::Meter>(options, storage);
    meter->boot();
  }

  // Feeds exactly `mwh` of energy: 1 mWh is 3600 mW for one second.
  void consume(int64_t mwh) {
    while (mwh > 0) {
      const int64_t chunk = std::min<int64_t>(mwh, 1'000'000);
      umeme::Measurement measurement;
      measurement.powerMw = chunk * 3600;
      measurement.powerW = static_cast<double>(measurement.powerMw) / 1000.0;
      meter->recordMeasurement(measurement, 1000);
      mwh -= chunk;
    }
  }

  umeme::CommandResult command(const std::string& kind, const std::string& payload) {
    return meter->handleMessage("smartmeter/" + options.meterNo + "/command/" + kind, payload);
  }

  umeme::CommandResult creditLimit(const std::string& kwh) {
    return command("balance", R"({"balance":0,"creditLimit":)" + kwh + R"(,"timestamp":1763800000})");
  }

  void poll(uint64_t advanceMs = 0) {
    nowMs += advanceMs;
    meter->poll(nowMs, unixNow);
  }

  // Everything the outbox would send now, each acknowledged as if the broker took it.
  std::vector<umeme::OutgoingMessage> drain() {
    std::vector<umeme::OutgoingMessage> sent;
    while (auto message = meter->outbox().takeNext()) {
      meter->outbox().acknowledge(message->token);
      sent.push_back(std::move(*message));
    }
    return sent;
  }

  umeme::MeterOptions options;
  umeme::MemoryStorage storage;
  std::unique_ptr<umeme::Meter> meter;
  uint64_t nowMs = 0;
  int64_t unixNow = kUnixNow;
};

inline const umeme::OutgoingMessage* find(const std::vector<umeme::OutgoingMessage>& messages,
                                          umeme::ReportChannel channel) {
  for (const auto& message : messages) {
    if (message.channel == channel) return &message;
  }
  return nullptr;
}

}  // namespace bench
