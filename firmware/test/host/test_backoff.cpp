// Protects reconnect pacing: growing, capped, jittered, never a tight loop.
#include <doctest/doctest.h>

#include <set>

#include "umeme/backoff.h"

using namespace umeme;

TEST_CASE("delays double from the base up to the cap, each within its jitter band") {
  Rng rng(1);
  ReconnectBackoff backoff(1'000, 60'000);
  uint32_t step = 1'000;
  for (int attempt = 0; attempt < 40; ++attempt) {
    const uint32_t delay = backoff.nextDelayMs(rng);
    INFO("attempt " << attempt << " delay " << delay);
    CHECK(delay >= step / 2);
    CHECK(delay <= step);
    step = std::min<uint32_t>(step * 2, 60'000);
  }
}

TEST_CASE("a successful connection starts the next outage from the base delay") {
  Rng rng(2);
  ReconnectBackoff backoff(1'000, 60'000);
  for (int i = 0; i < 10; ++i) backoff.nextDelayMs(rng);
  backoff.reset();
  CHECK(backoff.nextDelayMs(rng) <= 1'000);
}

TEST_CASE("meters seeded differently spread their retries out") {
  std::set<uint32_t> delays;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    Rng rng(seed);
    ReconnectBackoff backoff(1'000, 60'000);
    for (int i = 0; i < 5; ++i) backoff.nextDelayMs(rng);
    delays.insert(backoff.nextDelayMs(rng));
  }
  CHECK(delays.size() > 90);
}

TEST_CASE("the random source covers its range including both ends") {
  Rng rng(3);
  bool sawZero = false;
  bool sawTop = false;
  for (int i = 0; i < 10'000; ++i) {
    const uint32_t value = rng.upTo(3);
    CHECK(value <= 3);
    sawZero = sawZero || value == 0;
    sawTop = sawTop || value == 3;
  }
  CHECK(sawZero);
  CHECK(sawTop);
  CHECK(rng.upTo(0) == 0);
}
