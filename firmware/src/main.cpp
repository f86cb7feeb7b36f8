// Arduino glue of the ESP32 meter: pins, ADC sampling, Wi-Fi, MQTT, NVS and the serial
// console. Every decision about energy, credit and the relay is made by the portable core
// (lib/umeme_core), which is tested on the host; this file only moves data in and out.
//
// Wiring: relay driver on GPIO 26, ACS712 output (through a divider) on GPIO 34, status
// LED on GPIO 2. See README.md for wiring, calibration and provisioning.

#include <Arduino.h>
#include <MQTT.h>
#include <Preferences.h>
#include <WiFi.h>
#include <WiFiClient.h>
#include <WiFiClientSecure.h>
#include <time.h>

#include <memory>
#include <optional>
#include <string>

#include "broker_ca.h"
#include "umeme/backoff.h"
#include "umeme/indicator.h"
#include "umeme/limits.h"
#include "umeme/meter.h"
#include "umeme/sensor.h"
#include "umeme/settings.h"
#include "umeme/units.h"

namespace {

constexpr uint8_t kRelayPin = 26;
constexpr uint8_t kCurrentPin = 34;  // ADC1: still readable while Wi-Fi runs (ADC2 is not)
constexpr uint8_t kLedPin = 2;
constexpr uint32_t kWindowMs = 200;  // ten 50 Hz cycles, twelve 60 Hz cycles
constexpr uint32_t kCalibrationMs = 1000;
constexpr uint32_t kMinCalibrationSamples = 500;
constexpr double kOffsetTrackingWeight = 0.02;
// Larger than any acceptable payload, so an oversized command is read and refused by the
// core instead of breaking the MQTT connection (lwmqtt drops packets that overflow it).
constexpr int kMqttBufferBytes = 4096;
constexpr std::size_t kConsoleLineMax = 200;
constexpr const char* kFirmwareVersion = "umeme-fw/0.1.0";
// A dedicated NVS partition (partitions.csv) spreads register writes over 64 flash pages.
constexpr const char* kNvsPartition = "meternvs";
constexpr const char* kNvsNamespace = "umeme";

// NVS through Preferences. Each put commits at once, so a write that returned is durable.
class NvsStorage : public umeme::Storage {
 public:
  bool begin() {
    if (prefs_.begin(kNvsNamespace, false, kNvsPartition)) return true;
    // Flashed with the default partition table: fall back to the shared "nvs" partition.
    return prefs_.begin(kNvsNamespace, false);
  }

  std::optional<uint64_t> loadU64(const char* key) override {
    if (!prefs_.isKey(key)) return std::nullopt;
    return prefs_.getULong64(key, 0);
  }

  bool storeU64(const char* key, uint64_t value) override {
    return prefs_.putULong64(key, value) == sizeof(uint64_t);
  }

  std::optional<std::string> loadString(const char* key) override {
    if (!prefs_.isKey(key)) return std::nullopt;
    return std::string(prefs_.getString(key).c_str());
  }

  bool storeString(const char* key, std::string_view value) override {
    const std::string copy(value);
    return prefs_.putString(key, copy.c_str()) == copy.size();
  }

 private:
  Preferences prefs_;
};

NvsStorage storage;
umeme::DeviceSettings settings;
std::unique_ptr<umeme::Meter> meter;

WiFiClient plainClient;
WiFiClientSecure tlsClient;
MQTTClient mqtt(kMqttBufferBytes);
// lwmqtt keeps pointers to these, so they live as long as the client.
std::string willTopic;
std::string willPayload;
std::string commandFilter;

umeme::Rng rng(0);
umeme::ReconnectBackoff backoff(1'000, 60'000);
uint32_t nextMqttAttemptMs = 0;
bool mqttWasConnected = false;

double offsetPinMv = 0.0;
uint32_t lastWindowEndMs = 0;
bool relayOutputClosed = false;
std::string consoleLine;

// millis() as the 32-bit count it is on the ESP32 (unsigned long is 64 bits on the host).
uint32_t nowMs() { return static_cast<uint32_t>(millis()); }

// millis() wraps after 49 days; the core wants a clock that does not.
uint64_t uptimeMs() {
  static uint32_t last = 0;
  static uint64_t high = 0;
  const uint32_t now = nowMs();
  if (now < last) high += uint64_t{1} << 32;
  last = now;
  return high | now;
}

int64_t unixNow() { return static_cast<int64_t>(time(nullptr)); }

void writeRelay(bool closed) {
  relayOutputClosed = closed;
  const bool level = settings.relayActiveLow ? !closed : closed;
  digitalWrite(kRelayPin, level ? HIGH : LOW);
}

// The zero-current output of the ACS712, measured with the relay open so no load current
// can flow. Called once at boot; afterwards no-load windows keep it up to date.
void calibrateOffset() {
  umeme::OffsetCalibrator calibrator;
  const uint32_t start = nowMs();
  while (nowMs() - start < kCalibrationMs) calibrator.add(analogReadMilliVolts(kCurrentPin));
  offsetPinMv = calibrator.offsetPinMv();
  Serial.printf("[sensor] zero-current offset %.1f mV at the pin (%u samples)%s\n", offsetPinMv,
                static_cast<unsigned>(calibrator.count()),
                calibrator.ready(kMinCalibrationSamples) ? "" : " - too few samples, check the ADC wiring");
}

umeme::Measurement measureWindow() {
  umeme::RmsWindow window(offsetPinMv);
  const uint32_t start = nowMs();
  while (nowMs() - start < kWindowMs) window.add(analogReadMilliVolts(kCurrentPin));
  const umeme::Measurement measurement = window.finish(settings.sensor);
  if (!relayOutputClosed && measurement.powerMw == 0) {
    offsetPinMv = umeme::trackOffset(offsetPinMv, window.meanPinMv(), kOffsetTrackingWeight);
  }
  return measurement;
}

void onMqttMessage(MQTTClient* /*client*/, char topic[], char bytes[], int length) {
  const std::string_view payload(bytes, length > 0 ? static_cast<std::size_t>(length) : 0U);
  const umeme::CommandResult result = meter->handleMessage(topic, payload);
  if (result.outcome == umeme::CommandOutcome::Applied) {
    Serial.printf("[mqtt] applied %s: E=%s kWh C=%s kWh\n", topic, umeme::formatMwhAsKwh(meter->energyMwh()).c_str(),
                  umeme::formatMwhAsKwh(meter->creditLimitMwh()).c_str());
  }
  // Rejections are summarised by takeRejectionLog() at most once a minute.
}

void connectMqtt() {
  Serial.printf("[mqtt] connecting to %s:%u as %s (%s)\n", settings.mqttHost.c_str(),
                static_cast<unsigned>(settings.mqttPort), settings.meterNo.c_str(), settings.mqttTls ? "TLS" : "plain");
  if (mqtt.connect(settings.meterNo.c_str(), settings.meterNo.c_str(), settings.secret.c_str()) &&
      mqtt.subscribe(commandFilter.c_str(), 1)) {
    backoff.reset();
    mqttWasConnected = true;
    meter->onConnected();
    Serial.printf("[mqtt] connected, subscribed to %s\n", commandFilter.c_str());
    return;
  }
  const uint32_t delayMs = backoff.nextDelayMs(rng);
  nextMqttAttemptMs = nowMs() + delayMs;
  Serial.printf("[mqtt] connection failed (error %d, broker code %d); retrying in %u s\n",
                static_cast<int>(mqtt.lastError()), static_cast<int>(mqtt.returnCode()),
                static_cast<unsigned>(delayMs / 1000));
}

void sendOutbox() {
  while (auto message = meter->outbox().takeNext()) {
    const std::string topic = umeme::reportTopic(settings.meterNo, message->channel);
    // QoS 1 publishes in lwmqtt return once the broker's PUBACK arrived.
    if (mqtt.publish(topic.c_str(), message->payload.c_str(), static_cast<int>(message->payload.size()),
                     message->retained, 1)) {
      meter->outbox().acknowledge(message->token);
    } else {
      meter->onDisconnected();
      return;
    }
  }
}

void serviceConnection() {
  if (WiFi.status() != WL_CONNECTED) {
    if (mqttWasConnected) meter->onDisconnected();
    mqttWasConnected = false;
    meter->setWifiRssi(std::nullopt);
    return;
  }
  meter->setWifiRssi(WiFi.RSSI());
  if (mqtt.connected()) {
    mqtt.loop();
    sendOutbox();
    return;
  }
  if (mqttWasConnected) {
    Serial.println("[mqtt] connection lost");
    meter->onDisconnected();
    mqttWasConnected = false;
    nextMqttAttemptMs = nowMs() + backoff.nextDelayMs(rng);
  }
  if (static_cast<int32_t>(nowMs() - nextMqttAttemptMs) >= 0) connectMqtt();
}

void handleConsoleLine(const std::string& line) {
  if (line == "show") {
    Serial.println(umeme::describeSettings(settings).c_str());
  } else if (line == "status") {
    if (!meter) {
      Serial.println("not provisioned");
      return;
    }
    Serial.printf("E=%s kWh C=%s kWh balance=%s kWh relay=%s power=%.1f W wifi=%d mqtt=%d\n",
                  umeme::formatMwhAsKwh(meter->energyMwh()).c_str(),
                  umeme::formatMwhAsKwh(meter->creditLimitMwh()).c_str(),
                  umeme::formatMwhAsKwh(meter->balanceMwh()).c_str(), meter->relayClosed() ? "on" : "off",
                  meter->lastMeasurement().powerW, WiFi.status() == WL_CONNECTED ? 1 : 0, mqtt.connected() ? 1 : 0);
  } else if (line == "reboot") {
    if (meter) meter->shutdown(unixNow());
    ESP.restart();
  } else if (line.rfind("set ", 0) == 0) {
    const umeme::SettingResult result = umeme::applySettingLine(settings, line, storage);
    Serial.printf("%s (reboot to apply)\n", umeme::describe(result));
  } else {
    Serial.println("commands: show | status | set <name> <value> | reboot");
    Serial.println("names: meter secret wifi.ssid wifi.pass mqtt.host mqtt.port mqtt.tls ntp.server");
    Serial.println("       sensor.mv_per_a sensor.divider sensor.noise_a mains.volts mains.pf relay.active_low");
  }
}

void pollConsole() {
  while (Serial.available() > 0) {
    const int c = Serial.read();
    if (c == '\n' || c == '\r') {
      if (!consoleLine.empty()) handleConsoleLine(consoleLine);
      consoleLine.clear();
    } else if (consoleLine.size() < kConsoleLineMax) {
      consoleLine.push_back(static_cast<char>(c));
    }
  }
}

}  // namespace

void setup() {
  Serial.begin(115200);
  storage.begin();
  umeme::loadSettings(settings, storage);
  // The supply stays off until the sensor is calibrated and the core has decided.
  pinMode(kRelayPin, OUTPUT);
  writeRelay(false);
  pinMode(kLedPin, OUTPUT);
  analogReadResolution(12);
  analogSetPinAttenuation(kCurrentPin, ADC_11db);

  Serial.printf("\n[boot] %s, meter %s\n", kFirmwareVersion, settings.meterNo.empty() ? "(unset)" : settings.meterNo.c_str());
  calibrateOffset();
  if (!settings.complete()) {
    Serial.println("[boot] not provisioned: set meter, secret, wifi.ssid, wifi.pass and mqtt.host, then reboot");
    return;
  }

  umeme::MeterOptions options;
  options.meterNo = settings.meterNo;
  options.firmwareVersion = kFirmwareVersion;
  options.nominalVoltageV = settings.sensor.mainsVoltageV;
  meter = std::make_unique<umeme::Meter>(options, storage);
  meter->boot();
  Serial.printf("[boot] register %s kWh, credit limit %s kWh, relay %s\n",
                umeme::formatMwhAsKwh(meter->energyMwh()).c_str(),
                umeme::formatMwhAsKwh(meter->creditLimitMwh()).c_str(), meter->relayClosed() ? "on" : "off");

  // Hardware randomness plus the chip id: meters never share a retry schedule.
  rng = umeme::Rng((static_cast<uint64_t>(esp_random()) << 32) ^ ESP.getEfuseMac());

  WiFi.mode(WIFI_STA);
  WiFi.setAutoReconnect(true);
  WiFi.begin(settings.wifiSsid.c_str(), settings.wifiPassword.c_str());
  configTime(0, 0, settings.ntpServer.c_str());

  if (settings.mqttTls) {
    if (kBrokerCaPem[0] == '\0') {
      Serial.println("[mqtt] TLS is on but this image has no broker CA (include/broker_ca.h): not connecting");
    }
    tlsClient.setCACert(kBrokerCaPem);
    mqtt.begin(settings.mqttHost.c_str(), settings.mqttPort, tlsClient);
  } else {
    mqtt.begin(settings.mqttHost.c_str(), settings.mqttPort, plainClient);
  }
  willTopic = umeme::reportTopic(settings.meterNo, umeme::ReportChannel::Status);
  willPayload = meter->lastWillPayload();
  commandFilter = umeme::commandSubscription(settings.meterNo);
  mqtt.setWill(willTopic.c_str(), willPayload.c_str(), true, 1);
  mqtt.onMessageAdvanced(onMqttMessage);
  lastWindowEndMs = nowMs();
}

void loop() {
  pollConsole();
  if (!meter) {
    digitalWrite(kLedPin, umeme::statusLedOn(uptimeMs(), false, false) ? HIGH : LOW);
    delay(50);
    return;
  }

  const umeme::Measurement measurement = measureWindow();
  const uint32_t now = nowMs();
  // The window covers kWindowMs, but the loop also spent time on MQTT: the measured power
  // stands for the whole interval since the previous window, so no energy goes uncounted.
  meter->recordMeasurement(measurement, now - lastWindowEndMs);
  lastWindowEndMs = now;

  if (meter->relayClosed() != relayOutputClosed) {
    writeRelay(meter->relayClosed());
    Serial.printf("[relay] %s at E=%s kWh, C=%s kWh\n", relayOutputClosed ? "ON" : "OFF",
                  umeme::formatMwhAsKwh(meter->energyMwh()).c_str(),
                  umeme::formatMwhAsKwh(meter->creditLimitMwh()).c_str());
  }

  meter->poll(uptimeMs(), unixNow());
  if (const auto line = meter->takeRejectionLog(uptimeMs())) Serial.printf("[mqtt] %s\n", line->c_str());

  const bool tlsWithoutCa = settings.mqttTls && kBrokerCaPem[0] == '\0';
  if (!tlsWithoutCa) serviceConnection();
  digitalWrite(kLedPin, umeme::statusLedOn(uptimeMs(), mqtt.connected(), relayOutputClosed) ? HIGH : LOW);
}
