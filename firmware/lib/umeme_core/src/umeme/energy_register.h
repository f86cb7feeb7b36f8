// The energy register E: integer mWh that only grows. Power x time is integrated exactly
// in mW.ms and whole mWh are carried into the register, so no float rounding accumulates
// however long the meter runs.
#pragma once

#include <cstdint>

namespace umeme {

class EnergyRegister {
 public:
  explicit EnergyRegister(int64_t startMwh = 0);

  // Adds the energy of `powerMw` held for `durationMs`. Negative power counts as zero (the
  // register never runs backwards); both inputs are clamped so the product fits 64 bits.
  void accumulate(int64_t powerMw, uint32_t durationMs);

  int64_t totalMwh() const { return totalMwh_; }
  // Energy below one mWh not yet in the register, in mW.ms (always < 3,600,000).
  int64_t remainderMwMs() const { return remainderMwMs_; }

  // Restores the register from storage at boot; never moves it backwards.
  void restore(int64_t persistedMwh);

 private:
  int64_t totalMwh_ = 0;
  int64_t remainderMwMs_ = 0;
};

inline constexpr int64_t kMwMsPerMwh = 3'600'000;  // 1 mWh = 1 mW for 3600 s

}  // namespace umeme
