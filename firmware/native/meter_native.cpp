// The meter as a Linux program: the same core as the ESP32 build, with libmosquitto for
// MQTT, a file for flash, and a simulated load in place of the ACS712. It is a real MQTT
// client of the real server, used by the integration tests and for demos.
//
//   meter-native --meter M1 --secret S [--user M1] [--host 127.0.0.1] [--port 1883]
//                [--cafile ca.pem] [--interval 60] [--sim-load-w 0] [--time-scale 1]
//                [--state-file meter.state]
//   meter-native --emit-samples   (prints sample payloads for the protocol cross-check)
//
// Human log lines go to stderr; one JSON object per line on stdout describes each event
// (connected, relay, command, acked, stopped) for programs that drive the meter.

#include <mosquitto.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "file_storage.h"
#include "umeme/backoff.h"
#include "umeme/json_writer.h"
#include "umeme/limits.h"
#include "umeme/meter.h"
#include "umeme/units.h"

namespace {

volatile std::sig_atomic_t gStopRequested = 0;

void requestStop(int) { gStopRequested = 1; }

struct Options {
  std::string meterNo;
  std::string user;
  std::string secret;
  std::string clientId;
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string caFile;
  std::optional<double> intervalS;
  double simLoadW = 0.0;
  double timeScale = 1.0;
  uint32_t tickMs = 100;
  std::string stateFile;
  int keepAliveS = 10;
  bool emitSamples = false;
};

[[noreturn]] void usage(const char* problem) {
  if (problem != nullptr) std::fprintf(stderr, "meter-native: %s\n", problem);
  std::fprintf(stderr,
               "usage: meter-native --meter NO --secret SECRET [--user NAME] [--client-id ID]\n"
               "         [--host HOST] [--port PORT] [--cafile PEM] [--interval SECONDS]\n"
               "         [--sim-load-w WATTS] [--time-scale FACTOR] [--tick-ms MS] [--state-file PATH]\n"
               "       meter-native --emit-samples\n");
  std::exit(2);
}

double parseNumber(const char* flag, const char* text, double min, double max) {
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(value >= min && value <= max)) {
    std::fprintf(stderr, "meter-native: %s must be a number in [%g, %g], got '%s'\n", flag, min, max, text);
    std::exit(2);
  }
  return value;
}

Options parseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--emit-samples") {
      o.emitSamples = true;
      continue;
    }
    if (flag == "--help" || flag == "-h") usage(nullptr);
    if (i + 1 >= argc) usage(("missing value for " + flag).c_str());
    const char* value = argv[++i];
    if (flag == "--meter") {
      o.meterNo = value;
    } else if (flag == "--user") {
      o.user = value;
    } else if (flag == "--secret") {
      o.secret = value;
    } else if (flag == "--client-id") {
      o.clientId = value;
    } else if (flag == "--host") {
      o.host = value;
    } else if (flag == "--port") {
      o.port = static_cast<int>(parseNumber("--port", value, 1, 65535));
    } else if (flag == "--cafile") {
      o.caFile = value;
    } else if (flag == "--interval") {
      o.intervalS = parseNumber("--interval", value, 0.01, 86400);
    } else if (flag == "--sim-load-w") {
      o.simLoadW = parseNumber("--sim-load-w", value, 0, 1e6);
    } else if (flag == "--time-scale") {
      o.timeScale = parseNumber("--time-scale", value, 0.001, 100000);
    } else if (flag == "--tick-ms") {
      o.tickMs = static_cast<uint32_t>(parseNumber("--tick-ms", value, 1, 60000));
    } else if (flag == "--state-file") {
      o.stateFile = value;
    } else if (flag == "--keepalive") {
      o.keepAliveS = static_cast<int>(parseNumber("--keepalive", value, 5, 3600));
    } else {
      usage(("unknown option " + flag).c_str());
    }
  }
  if (o.emitSamples) return o;
  if (!umeme::isValidMeterNo(o.meterNo)) usage("--meter must be 1-12 letters, digits, '-' or '_'");
  if (o.secret.empty()) usage("--secret is required");
  if (o.user.empty()) o.user = o.meterNo;
  if (o.clientId.empty()) o.clientId = o.meterNo;
  return o;
}

uint64_t monotonicMs() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

int64_t unixSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

// One JSON line on stdout per event, flushed at once so a parent process sees it live.
void emitEvent(const std::string& json) {
  std::fputs(json.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

const char* outcomeName(umeme::CommandOutcome outcome) {
  switch (outcome) {
    case umeme::CommandOutcome::Applied: return "applied";
    case umeme::CommandOutcome::Unchanged: return "unchanged";
    case umeme::CommandOutcome::Rejected: return "rejected";
    case umeme::CommandOutcome::NotForUs: return "not_for_us";
  }
  return "unknown";
}

const char* channelName(umeme::ReportChannel channel) {
  switch (channel) {
    case umeme::ReportChannel::Consumption: return "consumption";
    case umeme::ReportChannel::Status: return "status";
    case umeme::ReportChannel::Balance: return "balance";
  }
  return "unknown";
}

// Prints payloads the meter publishes, for the Vitest cross-check against the zod schemas.
int emitSamples() {
  const int64_t registers[] = {0, 1, 999'999, 1'000'000, 12'345'678, 98'765'432'109, 999'999'999'999'999};
  for (const int64_t energy : registers) {
    umeme::ConsumptionReading reading;
    reading.seq = energy % 1000;
    reading.energyTotalMwh = energy;
    reading.unitsConsumedMwh = energy / 3;
    reading.remainingBalanceMwh = 5'000'000 - energy;
    reading.powerW = 2000.0;
    reading.currentA = 8.696;
    reading.voltageV = 230.0;
    reading.relayOn = energy % 2 == 0;
    reading.timestamp = 1'763'800'000;
    emitEvent(umeme::JsonWriter()
                  .string("kind", "consumption")
                  .integer("energyMwh", energy)
                  .integer("remainingMwh", reading.remainingBalanceMwh)
                  .string("payload", umeme::encodeConsumption("M1", reading))
                  .finish());
    umeme::BalanceReading view{reading.remainingBalanceMwh, 5'000'000, energy, 1'763'800'000};
    emitEvent(umeme::JsonWriter()
                  .string("kind", "balance")
                  .integer("energyMwh", energy)
                  .string("payload", umeme::encodeMeterBalance("M1", view))
                  .finish());
  }
  umeme::MemoryStorage storage;
  umeme::MeterOptions options;
  options.meterNo = "KE_0001-x";
  umeme::Meter meter(options, storage);
  meter.boot();
  meter.setWifiRssi(-71);
  meter.onConnected();
  meter.poll(0, 1'763'800'000);
  while (auto message = meter.outbox().takeNext()) {
    emitEvent(umeme::JsonWriter()
                  .string("kind", channelName(message->channel))
                  .string("payload", message->payload)
                  .finish());
  }
  emitEvent(umeme::JsonWriter().string("kind", "status").string("payload", meter.lastWillPayload()).finish());
  return 0;
}

class NativeMeter {
 public:
  NativeMeter(Options options, umeme::Storage& storage)
      : options_(std::move(options)),
        meter_(meterOptions(options_), storage),
        rng_(seedFor(options_.meterNo)),
        backoff_(1'000, 30'000) {}

  int run() {
    meter_.boot();
    if (options_.intervalS) meter_.setPublishIntervalMs(static_cast<uint32_t>(*options_.intervalS * 1000.0));
    log("booted: E=%s kWh C=%s kWh relay %s", kwh(meter_.energyMwh()).c_str(), kwh(meter_.creditLimitMwh()).c_str(),
        meter_.relayClosed() ? "on" : "off");
    lastRelay_ = meter_.relayClosed();
    emitRelay();

    if (!setUpClient()) return 1;
    connect();

    uint64_t lastTickMs = monotonicMs();
    while (gStopRequested == 0) {
      const uint64_t now = monotonicMs();
      if (now - lastTickMs >= options_.tickMs) {
        simulateLoad(now - lastTickMs);
        lastTickMs = now;
        noteRelayChange();
      }
      meter_.poll(now, unixSeconds());
      if (const auto line = meter_.takeRejectionLog(now)) log("%s", line->c_str());
      if (connected_) {
        sendOutbox();
      } else if (now >= nextAttemptMs_) {
        connect();
      }
      const int rc = mosquitto_loop(mosq_, static_cast<int>(std::min<uint32_t>(options_.tickMs, 20)), 1);
      if (rc != MOSQ_ERR_SUCCESS) {
        // Also covers a socket that died before CONNACK, which fires no disconnect callback.
        if (connected_ || nextAttemptMs_ == UINT64_MAX) onConnectionLost(rc);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    stop();
    return 0;
  }

 private:
  static umeme::MeterOptions meterOptions(const Options& o) {
    umeme::MeterOptions options;
    options.meterNo = o.meterNo;
    options.firmwareVersion = "umeme-native/0.1.0";
    return options;
  }

  static uint64_t seedFor(const std::string& meterNo) {
    return std::hash<std::string>{}(meterNo) ^ (static_cast<uint64_t>(::getpid()) << 32) ^ monotonicMs();
  }

  static std::string kwh(int64_t mwh) { return umeme::formatMwhAsKwh(mwh); }

  template <typename... Args>
  void log(const char* format, Args... args) const {
    char line[512];
    std::snprintf(line, sizeof line, format, args...);
    std::fprintf(stderr, "[meter %s] %s\n", options_.meterNo.c_str(), line);
  }

  // Called right after anything that can switch the relay, so the event carries the
  // register at the moment of switching.
  void noteRelayChange() {
    if (meter_.relayClosed() == lastRelay_) return;
    lastRelay_ = meter_.relayClosed();
    log("relay %s at E=%s kWh, C=%s kWh", lastRelay_ ? "ON" : "OFF", kwh(meter_.energyMwh()).c_str(),
        kwh(meter_.creditLimitMwh()).c_str());
    emitRelay();
  }

  void emitRelay() {
    emitEvent(umeme::JsonWriter()
                  .string("event", "relay")
                  .string("relay", meter_.relayClosed() ? "on" : "off")
                  .integer("energyMwh", meter_.energyMwh())
                  .integer("creditLimitMwh", meter_.creditLimitMwh())
                  .finish());
  }

  // The simulated load draws its power only while the relay is closed, as a real one would.
  // Meter time runs timeScale times faster than the wall clock, for quick tests. It is fed
  // in steps of at most one nominal tick, re-reading the relay between steps, so a late
  // tick on a busy machine cannot run the load past the point where the relay opened.
  void simulateLoad(uint64_t elapsedMs) {
    const auto stepLimit =
        std::clamp<uint64_t>(static_cast<uint64_t>(options_.tickMs * options_.timeScale), 1, umeme::kMaxIntegrationStepMs);
    auto meterMs = static_cast<uint64_t>(static_cast<double>(elapsedMs) * options_.timeScale);
    while (meterMs > 0) {
      umeme::Measurement measurement;
      if (meter_.relayClosed() && options_.simLoadW > 0) {
        measurement.powerW = options_.simLoadW;
        measurement.currentA = options_.simLoadW / 230.0;
        measurement.powerMw = std::llround(options_.simLoadW * 1000.0);
      }
      const auto step = static_cast<uint32_t>(std::min(meterMs, stepLimit));
      meter_.recordMeasurement(measurement, step);
      meterMs -= step;
    }
  }

  bool setUpClient() {
    mosquitto_lib_init();
    mosq_ = mosquitto_new(options_.clientId.c_str(), true, this);
    if (mosq_ == nullptr) {
      log("cannot create MQTT client");
      return false;
    }
    mosquitto_username_pw_set(mosq_, options_.user.c_str(), options_.secret.c_str());
    // Without Nagle: a PUBACK held back behind an unacknowledged packet delays the broker's next
    // command/balance by tens of milliseconds.
    mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
    const std::string will = meter_.lastWillPayload();
    const std::string statusTopic = umeme::reportTopic(options_.meterNo, umeme::ReportChannel::Status);
    mosquitto_will_set(mosq_, statusTopic.c_str(), static_cast<int>(will.size()), will.data(), 1, true);
    if (!options_.caFile.empty() &&
        mosquitto_tls_set(mosq_, options_.caFile.c_str(), nullptr, nullptr, nullptr, nullptr) != MOSQ_ERR_SUCCESS) {
      log("cannot load CA file %s", options_.caFile.c_str());
      return false;
    }
    mosquitto_connect_callback_set(mosq_, [](mosquitto*, void* self, int rc) {
      static_cast<NativeMeter*>(self)->onConnect(rc);
    });
    mosquitto_disconnect_callback_set(mosq_, [](mosquitto*, void* self, int rc) {
      static_cast<NativeMeter*>(self)->onConnectionLost(rc);
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* message) {
      static_cast<NativeMeter*>(self)->onMessage(message);
    });
    mosquitto_publish_callback_set(mosq_, [](mosquitto*, void* self, int mid) {
      static_cast<NativeMeter*>(self)->onPublished(mid);
    });
    return true;
  }

  void connect() {
    const int rc = everConnected_ ? mosquitto_reconnect(mosq_)
                                  : mosquitto_connect(mosq_, options_.host.c_str(), options_.port, options_.keepAliveS);
    everConnected_ = true;  // from now on the client knows host and port: reconnect reuses them
    if (rc != MOSQ_ERR_SUCCESS) scheduleRetry(mosquitto_strerror(rc));
    // Success here only means TCP is up; onConnect() sees the broker's answer.
    else nextAttemptMs_ = UINT64_MAX;
  }

  void scheduleRetry(const char* why) {
    const uint32_t delay = backoff_.nextDelayMs(rng_);
    nextAttemptMs_ = monotonicMs() + delay;
    log("not connected (%s); retrying in %u ms", why, delay);
  }

  void onConnect(int rc) {
    if (rc != 0) {
      log("broker refused the connection: %s", mosquitto_connack_string(rc));
      emitEvent(umeme::JsonWriter().string("event", "refused").integer("code", rc).finish());
      return;  // the broker closes the socket; onConnectionLost schedules the retry
    }
    connected_ = true;
    backoff_.reset();
    const std::string filter = umeme::commandSubscription(options_.meterNo);
    mosquitto_subscribe(mosq_, nullptr, filter.c_str(), 1);
    meter_.onConnected();
    log("connected to %s:%d, subscribed to %s", options_.host.c_str(), options_.port, filter.c_str());
    emitEvent(umeme::JsonWriter().string("event", "connected").finish());
  }

  void onConnectionLost(int rc) {
    const bool wasConnected = connected_;
    connected_ = false;
    inFlight_.clear();
    meter_.onDisconnected();
    if (gStopRequested != 0) return;
    if (wasConnected) emitEvent(umeme::JsonWriter().string("event", "disconnected").integer("code", rc).finish());
    if (nextAttemptMs_ == UINT64_MAX || wasConnected) scheduleRetry(mosquitto_strerror(rc));
  }

  void onMessage(const mosquitto_message* message) {
    const std::string_view payload(static_cast<const char*>(message->payload),
                                   static_cast<std::size_t>(message->payloadlen));
    const umeme::CommandResult result = meter_.handleMessage(message->topic, payload);
    const bool failed = result.error != umeme::DecodeError::None;
    log("%s: %s%s%s", message->topic, outcomeName(result.outcome), failed ? " " : "",
        failed ? umeme::describe(result.error) : "");
    emitEvent(umeme::JsonWriter()
                  .string("event", "command")
                  .string("topic", message->topic)
                  .string("outcome", outcomeName(result.outcome))
                  .integer("energyMwh", meter_.energyMwh())
                  .integer("creditLimitMwh", meter_.creditLimitMwh())
                  .finish());
    noteRelayChange();
  }

  void sendOutbox() {
    while (auto message = meter_.outbox().takeNext()) {
      const std::string topic = umeme::reportTopic(options_.meterNo, message->channel);
      int mid = 0;
      const int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(message->payload.size()),
                                       message->payload.data(), 1, message->retained);
      if (rc != MOSQ_ERR_SUCCESS) {
        onConnectionLost(rc);
        return;
      }
      inFlight_[mid] = Pending{message->token, message->channel, message->payload};
    }
  }

  void onPublished(int mid) {
    const auto it = inFlight_.find(mid);
    if (it == inFlight_.end()) return;
    meter_.outbox().acknowledge(it->second.token);
    emitEvent(umeme::JsonWriter()
                  .string("event", "acked")
                  .string("channel", channelName(it->second.channel))
                  .string("payload", it->second.payload)
                  .integer("energyMwh", meter_.energyMwh())
                  .finish());
    inFlight_.erase(it);
  }

  void stop() {
    log("stopping: E=%s kWh", kwh(meter_.energyMwh()).c_str());
    meter_.shutdown(unixSeconds());
    if (connected_) {
      // Say "offline" ourselves: a clean disconnect does not fire the Last Will.
      sendOutbox();
      const uint64_t deadline = monotonicMs() + 2'000;
      while (connected_ && !meter_.outbox().idle() && monotonicMs() < deadline) {
        if (mosquitto_loop(mosq_, 20, 1) != MOSQ_ERR_SUCCESS) break;
      }
      mosquitto_disconnect(mosq_);
    }
    emitEvent(umeme::JsonWriter()
                  .string("event", "stopped")
                  .integer("energyMwh", meter_.energyMwh())
                  .integer("creditLimitMwh", meter_.creditLimitMwh())
                  .finish());
    mosquitto_destroy(mosq_);
    mosquitto_lib_cleanup();
  }

  struct Pending {
    uint32_t token = 0;
    umeme::ReportChannel channel = umeme::ReportChannel::Consumption;
    std::string payload;
  };

  Options options_;
  umeme::Meter meter_;
  umeme::Rng rng_;
  umeme::ReconnectBackoff backoff_;
  mosquitto* mosq_ = nullptr;
  bool connected_ = false;
  bool everConnected_ = false;
  bool lastRelay_ = false;
  uint64_t nextAttemptMs_ = 0;
  std::map<int, Pending> inFlight_;
};

}  // namespace

int main(int argc, char** argv) {
  const Options options = parseOptions(argc, argv);
  if (options.emitSamples) return emitSamples();
  std::signal(SIGINT, requestStop);
  std::signal(SIGTERM, requestStop);
  umeme_native::FileStorage storage(options.stateFile);
  NativeMeter meter(options, storage);
  return meter.run();
}
