// Installer settings of one meter: its identity and secret, Wi-Fi, broker and sensor
// calibration. One firmware image serves the whole fleet; each meter is provisioned over
// the serial console ("set meter M1", "set secret ...") and keeps its settings in NVS.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "umeme/sensor.h"
#include "umeme/storage.h"

namespace umeme {

struct DeviceSettings {
  std::string meterNo;
  std::string secret;
  std::string wifiSsid;
  std::string wifiPassword;
  std::string mqttHost;
  uint16_t mqttPort = 8883;
  bool mqttTls = true;
  // Reports carry a timestamp and wait until SNTP has set the clock: a site without
  // Internet access must point this at a local NTP server.
  std::string ntpServer = "pool.ntp.org";
  SensorConfig sensor;
  // Many relay boards switch on a low input.
  bool relayActiveLow = false;

  // Enough to connect: a valid meter number, a secret, a network and a broker.
  bool complete() const;
};

enum class SettingResult { Saved, UnknownKey, InvalidValue, StorageFailed };

const char* describe(SettingResult result);

// Validates and applies one setting, e.g. ("mqtt.port", "8883"), and stores it.
SettingResult applySetting(DeviceSettings& settings, std::string_view name, std::string_view value,
                           Storage& storage);

// Parses a console line "set <name> <value>" (the value may contain spaces).
SettingResult applySettingLine(DeviceSettings& settings, std::string_view line, Storage& storage);

// Reads every stored setting; invalid stored values are ignored and keep their defaults.
void loadSettings(DeviceSettings& settings, Storage& storage);

// One line per setting for the console, with the secrets masked.
std::string describeSettings(const DeviceSettings& settings);

}  // namespace umeme
