// ACS712 Hall-effect current sensor maths: zero-current offset calibration and RMS
// current and power over a window of ADC samples. The glue feeds it millivolts measured at
// the ESP32 pin (analogReadMilliVolts applies the chip's eFuse calibration).
#pragma once

#include <cstdint>

namespace umeme {

struct SensorConfig {
  // ACS712 sensitivity: 185 mV/A (5 A part), 100 mV/A (20 A), 66 mV/A (30 A).
  double sensitivityMvPerA = 100.0;
  // The ACS712 runs on 5 V, its output swings around 2.5 V, and the ESP32 pin tolerates
  // ~3.1 V: a divider scales it down. sensor mV = pin mV x dividerRatio (10k over 20k = 1.5).
  double dividerRatio = 1.5;
  // RMS currents below this are ADC and Hall noise: reported and integrated as zero, so an
  // idle meter does not creep.
  double noiseFloorA = 0.08;
  // Without a voltage channel the meter computes apparent power from the nominal voltage.
  double mainsVoltageV = 230.0;
  // Applied to V x I; 1.0 bills apparent power (resistive loads exactly, inductive ones high).
  double powerFactor = 1.0;
};

struct Measurement {
  double currentA = 0.0;
  double powerW = 0.0;
  int64_t powerMw = 0;  // rounded once, for the integer register
};

// Averages pin voltages taken while no current can flow (relay open) into the sensor's
// zero-current output. A window spanning whole mains cycles also averages out hum.
class OffsetCalibrator {
 public:
  void add(uint32_t pinMv);
  bool ready(uint32_t minSamples) const { return count_ >= minSamples; }
  double offsetPinMv() const;
  uint32_t count() const { return count_; }

 private:
  uint64_t sum_ = 0;
  uint32_t count_ = 0;
};

// Collects one window of samples. Windows should span whole mains cycles (200 ms is ten
// cycles at 50 Hz and twelve at 60 Hz), or the RMS of a sine window is biased.
class RmsWindow {
 public:
  explicit RmsWindow(double offsetPinMv) : offsetPinMv_(offsetPinMv) {}
  void add(uint32_t pinMv);
  uint32_t count() const { return count_; }
  // Mean pin voltage of the window: when no current flows it tracks offset drift.
  double meanPinMv() const;
  Measurement finish(const SensorConfig& config) const;

 private:
  double offsetPinMv_;
  double sumSquares_ = 0.0;
  uint64_t sumRaw_ = 0;
  uint32_t count_ = 0;
};

// Moves the offset a fraction of the way towards a no-load window's mean, so temperature
// drift of the ACS712's zero point is followed while the relay is open.
double trackOffset(double currentOffsetPinMv, double windowMeanPinMv, double weight);

}  // namespace umeme
