// Reconnect pacing. After a broker or Wi-Fi outage a whole fleet reconnects at once;
// exponential delays spread the retries out and jitter keeps meters from retrying in step.
#pragma once

#include <cstdint>

namespace umeme {

// SplitMix64: tiny, seedable and good enough to de-synchronise meters. Not for secrets.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform in [0, bound]; bound 0 gives 0.
  uint32_t upTo(uint32_t bound);

 private:
  uint64_t state_;
};

class ReconnectBackoff {
 public:
  ReconnectBackoff(uint32_t baseMs, uint32_t capMs);

  // Delay before the next attempt: "equal jitter", half of min(cap, base x 2^attempts)
  // plus a random part up to the other half, so a delay is never shorter than half its
  // step (no tight loops) yet meters spread over the whole step.
  uint32_t nextDelayMs(Rng& rng);

  // A connection succeeded: the next outage starts from the base delay again.
  void reset() { attempts_ = 0; }
  uint32_t attempts() const { return attempts_; }

 private:
  uint32_t baseMs_;
  uint32_t capMs_;
  uint32_t attempts_ = 0;
};

}  // namespace umeme
