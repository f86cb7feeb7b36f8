#include "umeme/energy_register.h"

#include <algorithm>
#include <cassert>

#include "umeme/limits.h"

namespace umeme {

EnergyRegister::EnergyRegister(int64_t startMwh) : totalMwh_(std::max<int64_t>(startMwh, 0)) {}

void EnergyRegister::accumulate(int64_t powerMw, uint32_t durationMs) {
  const int64_t power = std::clamp<int64_t>(powerMw, 0, kMaxPowerMw);
  const int64_t duration = std::min(durationMs, kMaxIntegrationStepMs);
  remainderMwMs_ += power * duration;
  const int64_t whole = remainderMwMs_ / kMwMsPerMwh;
  remainderMwMs_ -= whole * kMwMsPerMwh;
  totalMwh_ += whole;
  assert(remainderMwMs_ >= 0 && remainderMwMs_ < kMwMsPerMwh);
}

void EnergyRegister::restore(int64_t persistedMwh) { totalMwh_ = std::max(totalMwh_, persistedMwh); }

}  // namespace umeme
