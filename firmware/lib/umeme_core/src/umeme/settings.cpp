#include "umeme/settings.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "umeme/topics.h"

namespace umeme {

bool DeviceSettings::complete() const {
  return isValidMeterNo(meterNo) && !secret.empty() && !wifiSsid.empty() && !mqttHost.empty();
}

const char* describe(SettingResult result) {
  switch (result) {
    case SettingResult::Saved: return "saved";
    case SettingResult::UnknownKey: return "unknown setting";
    case SettingResult::InvalidValue: return "invalid value";
    case SettingResult::StorageFailed: return "could not write to flash";
  }
  return "unknown";
}

namespace {

std::optional<double> parseNumber(std::string_view text, double min, double max) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(value) || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

std::optional<bool> parseFlag(std::string_view text) {
  if (text == "1" || text == "true" || text == "on") return true;
  if (text == "0" || text == "false" || text == "off") return false;
  return std::nullopt;
}

bool setText(std::string& field, std::string_view value, std::size_t minLength, std::size_t maxLength) {
  if (value.size() < minLength || value.size() > maxLength) return false;
  field = std::string(value);
  return true;
}

bool setNumber(double& field, std::string_view value, double min, double max) {
  const std::optional<double> number = parseNumber(value, min, max);
  if (!number) return false;
  field = *number;
  return true;
}

// One row per setting: console name, storage key, and how to apply a value.
struct SettingSpec {
  const char* name;
  const char* storageKey;
  bool (*apply)(DeviceSettings&, std::string_view);
};

const SettingSpec kSpecs[] = {
    {"meter", "cfg_meter",
     [](DeviceSettings& s, std::string_view v) { return isValidMeterNo(v) && setText(s.meterNo, v, 1, 12); }},
    {"secret", "cfg_secret", [](DeviceSettings& s, std::string_view v) { return setText(s.secret, v, 1, 128); }},
    {"wifi.ssid", "cfg_ssid", [](DeviceSettings& s, std::string_view v) { return setText(s.wifiSsid, v, 1, 32); }},
    {"wifi.pass", "cfg_wifi_pass",
     [](DeviceSettings& s, std::string_view v) { return setText(s.wifiPassword, v, 0, 64); }},
    {"mqtt.host", "cfg_host", [](DeviceSettings& s, std::string_view v) { return setText(s.mqttHost, v, 1, 128); }},
    {"mqtt.port", "cfg_port",
     [](DeviceSettings& s, std::string_view v) {
       const std::optional<double> port = parseNumber(v, 1, 65535);
       if (!port || std::trunc(*port) != *port) return false;
       s.mqttPort = static_cast<uint16_t>(*port);
       return true;
     }},
    {"mqtt.tls", "cfg_tls",
     [](DeviceSettings& s, std::string_view v) {
       const std::optional<bool> flag = parseFlag(v);
       if (!flag) return false;
       s.mqttTls = *flag;
       return true;
     }},
    {"ntp.server", "cfg_ntp", [](DeviceSettings& s, std::string_view v) { return setText(s.ntpServer, v, 1, 64); }},
    {"sensor.mv_per_a", "cfg_mv_per_a",
     [](DeviceSettings& s, std::string_view v) { return setNumber(s.sensor.sensitivityMvPerA, v, 1, 1000); }},
    {"sensor.divider", "cfg_divider",
     [](DeviceSettings& s, std::string_view v) { return setNumber(s.sensor.dividerRatio, v, 1, 10); }},
    {"sensor.noise_a", "cfg_noise_a",
     [](DeviceSettings& s, std::string_view v) { return setNumber(s.sensor.noiseFloorA, v, 0, 5); }},
    {"mains.volts", "cfg_mains_v",
     [](DeviceSettings& s, std::string_view v) { return setNumber(s.sensor.mainsVoltageV, v, 90, 260); }},
    {"mains.pf", "cfg_pf",
     [](DeviceSettings& s, std::string_view v) { return setNumber(s.sensor.powerFactor, v, 0.1, 1); }},
    {"relay.active_low", "cfg_relay_low",
     [](DeviceSettings& s, std::string_view v) {
       const std::optional<bool> flag = parseFlag(v);
       if (!flag) return false;
       s.relayActiveLow = *flag;
       return true;
     }},
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

SettingResult applySetting(DeviceSettings& settings, std::string_view name, std::string_view value,
                           Storage& storage) {
  for (const SettingSpec& spec : kSpecs) {
    if (name != spec.name) continue;
    // Applied to a copy first, so a failed write leaves the running settings as they were.
    DeviceSettings candidate = settings;
    if (!spec.apply(candidate, value)) return SettingResult::InvalidValue;
    if (!storage.storeString(spec.storageKey, value)) return SettingResult::StorageFailed;
    settings = std::move(candidate);
    return SettingResult::Saved;
  }
  return SettingResult::UnknownKey;
}

SettingResult applySettingLine(DeviceSettings& settings, std::string_view line, Storage& storage) {
  line = trim(line);
  constexpr std::string_view kSet = "set ";
  if (line.substr(0, kSet.size()) != kSet) return SettingResult::UnknownKey;
  line = trim(line.substr(kSet.size()));
  const std::size_t space = line.find(' ');
  const std::string_view name = line.substr(0, space);
  const std::string_view value = space == std::string_view::npos ? std::string_view() : trim(line.substr(space));
  return applySetting(settings, name, value, storage);
}

void loadSettings(DeviceSettings& settings, Storage& storage) {
  for (const SettingSpec& spec : kSpecs) {
    const std::optional<std::string> stored = storage.loadString(spec.storageKey);
    if (stored) spec.apply(settings, *stored);
  }
}

std::string describeSettings(const DeviceSettings& s) {
  char line[512];
  std::snprintf(line, sizeof line,
                "meter=%s secret=%s wifi.ssid=%s wifi.pass=%s mqtt.host=%s mqtt.port=%u mqtt.tls=%d ntp.server=%s "
                "sensor.mv_per_a=%.1f sensor.divider=%.3f sensor.noise_a=%.3f mains.volts=%.1f mains.pf=%.2f "
                "relay.active_low=%d",
                s.meterNo.c_str(), s.secret.empty() ? "(unset)" : "****", s.wifiSsid.c_str(),
                s.wifiPassword.empty() ? "(unset)" : "****", s.mqttHost.c_str(), static_cast<unsigned>(s.mqttPort),
                s.mqttTls ? 1 : 0, s.ntpServer.c_str(), s.sensor.sensitivityMvPerA, s.sensor.dividerRatio, s.sensor.noiseFloorA,
                s.sensor.mainsVoltageV, s.sensor.powerFactor, s.relayActiveLow ? 1 : 0);
  return line;
}

}  // namespace umeme
