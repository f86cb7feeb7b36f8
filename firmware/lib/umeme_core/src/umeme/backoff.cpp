#include "umeme/backoff.h"

#include <algorithm>

namespace umeme {

uint64_t Rng::next() {
  state_ += 0x9E3779B97F4A7C15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint32_t Rng::upTo(uint32_t bound) {
  // The modulo bias is below 2^-32 for 32-bit bounds drawn from 64 bits: irrelevant here.
  return static_cast<uint32_t>(next() % (static_cast<uint64_t>(bound) + 1U));
}

ReconnectBackoff::ReconnectBackoff(uint32_t baseMs, uint32_t capMs)
    : baseMs_(std::max<uint32_t>(baseMs, 1)), capMs_(std::max(capMs, baseMs)) {}

uint32_t ReconnectBackoff::nextDelayMs(Rng& rng) {
  // base x 2^attempts, computed in 64 bits and capped before it can overflow.
  const uint32_t shift = std::min<uint32_t>(attempts_, 31);
  const uint64_t step = std::min<uint64_t>(static_cast<uint64_t>(baseMs_) << shift, capMs_);
  if (attempts_ < UINT32_MAX) ++attempts_;
  const auto half = static_cast<uint32_t>(step / 2);
  return half + rng.upTo(static_cast<uint32_t>(step) - half);
}

}  // namespace umeme
