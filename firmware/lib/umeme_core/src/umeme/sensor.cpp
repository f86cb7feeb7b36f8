#include "umeme/sensor.h"

#include <algorithm>
#include <cmath>

namespace umeme {

void OffsetCalibrator::add(uint32_t pinMv) {
  sum_ += pinMv;
  ++count_;
}

double OffsetCalibrator::offsetPinMv() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

void RmsWindow::add(uint32_t pinMv) {
  // Deviation from the calibrated offset, not from the window mean: a half-wave load (a
  // hair dryer on "low") carries a DC component that is real current and must be billed.
  const double deviation = static_cast<double>(pinMv) - offsetPinMv_;
  sumSquares_ += deviation * deviation;
  sumRaw_ += pinMv;
  ++count_;
}

double RmsWindow::meanPinMv() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sumRaw_) / static_cast<double>(count_);
}

Measurement RmsWindow::finish(const SensorConfig& config) const {
  Measurement m;
  if (count_ == 0 || config.sensitivityMvPerA <= 0.0) return m;
  const double rmsPinMv = std::sqrt(sumSquares_ / static_cast<double>(count_));
  const double currentA = rmsPinMv * config.dividerRatio / config.sensitivityMvPerA;
  if (!std::isfinite(currentA) || currentA < config.noiseFloorA) return m;
  m.currentA = currentA;
  m.powerW = currentA * config.mainsVoltageV * std::clamp(config.powerFactor, 0.0, 1.0);
  m.powerMw = std::llround(m.powerW * 1000.0);
  return m;
}

double trackOffset(double currentOffsetPinMv, double windowMeanPinMv, double weight) {
  const double w = std::clamp(weight, 0.0, 1.0);
  return currentOffsetPinMv + (windowMeanPinMv - currentOffsetPinMv) * w;
}

}  // namespace umeme
