// Protects provisioning over the serial console: valid settings stick, bad ones change nothing.
#include <doctest/doctest.h>

#include "umeme/settings.h"

using namespace umeme;

TEST_CASE("an installer provisions a meter line by line and it survives a reboot") {
  MemoryStorage storage;
  DeviceSettings settings;
  CHECK_FALSE(settings.complete());
  CHECK(applySettingLine(settings, "set meter KE-0001", storage) == SettingResult::Saved);
  CHECK(applySettingLine(settings, "set secret s3cr3t", storage) == SettingResult::Saved);
  CHECK(applySettingLine(settings, "set wifi.ssid Home Network 5G\r\n", storage) == SettingResult::Saved);
  CHECK(applySettingLine(settings, "set mqtt.host mqtt.umeme.example", storage) == SettingResult::Saved);
  CHECK(applySettingLine(settings, "set mqtt.port 1883", storage) == SettingResult::Saved);
  CHECK(applySettingLine(settings, "set mqtt.tls off", storage) == SettingResult::Saved);
  CHECK(applySettingLine(settings, "set sensor.mv_per_a 185", storage) == SettingResult::Saved);
  CHECK(applySettingLine(settings, "set ntp.server 192.168.1.1", storage) == SettingResult::Saved);
  CHECK(settings.complete());
  CHECK(settings.wifiSsid == "Home Network 5G");

  DeviceSettings restored;
  loadSettings(restored, storage);
  CHECK(restored.meterNo == "KE-0001");
  CHECK(restored.mqttPort == 1883);
  CHECK_FALSE(restored.mqttTls);
  CHECK(restored.sensor.sensitivityMvPerA == 185.0);
  CHECK(restored.ntpServer == "192.168.1.1");
  CHECK(restored.complete());
}

TEST_CASE("invalid values and unknown settings are refused and change nothing") {
  MemoryStorage storage;
  DeviceSettings settings;
  CHECK(applySettingLine(settings, "set meter M+1", storage) == SettingResult::InvalidValue);
  CHECK(applySettingLine(settings, "set meter ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", storage) == SettingResult::InvalidValue);
  CHECK(applySettingLine(settings, "set mqtt.port 70000", storage) == SettingResult::InvalidValue);
  CHECK(applySettingLine(settings, "set mqtt.port 80.5", storage) == SettingResult::InvalidValue);
  CHECK(applySettingLine(settings, "set mains.volts 400", storage) == SettingResult::InvalidValue);
  CHECK(applySettingLine(settings, "set sensor.mv_per_a abc", storage) == SettingResult::InvalidValue);
  CHECK(applySettingLine(settings, "set secret", storage) == SettingResult::InvalidValue);
  CHECK(applySettingLine(settings, "set colour blue", storage) == SettingResult::UnknownKey);
  CHECK(applySettingLine(settings, "reboot", storage) == SettingResult::UnknownKey);
  CHECK(storage.writes() == 0);
  CHECK(settings.mqttPort == 8883);
}

TEST_CASE("a setting that cannot be written to flash is not applied either") {
  MemoryStorage storage;
  storage.setFailing(true);
  DeviceSettings settings;
  CHECK(applySettingLine(settings, "set mqtt.port 1883", storage) == SettingResult::StorageFailed);
  CHECK(settings.mqttPort == 8883);
}

TEST_CASE("the settings summary never shows secrets") {
  MemoryStorage storage;
  DeviceSettings settings;
  applySettingLine(settings, "set secret hunter2", storage);
  applySettingLine(settings, "set wifi.pass correct-horse", storage);
  const std::string summary = describeSettings(settings);
  CHECK(summary.find("hunter2") == std::string::npos);
  CHECK(summary.find("correct-horse") == std::string::npos);
  CHECK(summary.find("secret=****") != std::string::npos);
}
