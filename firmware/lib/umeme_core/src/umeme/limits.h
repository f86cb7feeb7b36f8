// Named limits of the meter core. Values that mirror packages/protocol say so; keep them equal.
#pragma once

#include <cstddef>
#include <cstdint>

namespace umeme {

// 1 kWh = 1,000,000 mWh (docs/design.md §2).
inline constexpr int64_t kMwhPerKwh = 1'000'000;

// packages/protocol MAX_MQTT_PAYLOAD_BYTES: larger payloads are dropped unread.
inline constexpr std::size_t kMaxPayloadBytes = 2048;

// packages/protocol MAX_WIRE_QUANTITY: largest kWh magnitude accepted on the wire.
inline constexpr double kMaxWireQuantity = 1e9;

// packages/protocol unixSeconds: 0 .. 2100-01-01.
inline constexpr int64_t kMaxUnixSeconds = 4'102'444'800;

// JavaScript's Number.MAX_SAFE_INTEGER: the server cannot represent larger integers exactly.
inline constexpr int64_t kMaxSafeInteger = 9'007'199'254'740'991;

// Readings (powerW, currentA, voltageV) are bounded to +-1e7 by the schema.
inline constexpr double kMaxReading = 1e7;

// String limits, counted in UTF-16 code units as zod's .max() does.
inline constexpr std::size_t kMaxMeterNoLength = 32;
inline constexpr std::size_t kMaxReasonLength = 256;
inline constexpr std::size_t kMaxCommandIdLength = 64;
inline constexpr std::size_t kMaxStatusMessageLength = 256;
inline constexpr std::size_t kMaxFirmwareLength = 32;

// Config command bounds (commandConfigSchema).
inline constexpr int64_t kMinPublishIntervalS = 1;
inline constexpr int64_t kMaxPublishIntervalS = 86'400;
inline constexpr int64_t kMaxLoadLimitW = 1'000'000;

// Wi-Fi RSSI bounds accepted by statusSchema.
inline constexpr int kMinRssi = -150;

// The meter's JSON reader is stricter than JSON.parse on shape: no command nests at all,
// so deep nesting or very many fields only costs stack and heap on a small device.
inline constexpr int kMaxJsonDepth = 16;
inline constexpr std::size_t kMaxJsonFields = 32;

// Energy integration: one step never covers more than an hour, and power is clamped to
// the schema's reading bound, so power x time always fits in 64 bits.
inline constexpr uint32_t kMaxIntegrationStepMs = 3'600'000;
inline constexpr int64_t kMaxPowerMw = 10'000'000'000;  // 1e7 W

// A clock before 2020-01-01 has not been set yet (no SNTP answer).
inline constexpr int64_t kMinValidUnixSeconds = 1'577'836'800;

}  // namespace umeme
