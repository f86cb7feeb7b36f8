// The status LED an installer reads at a glance:
//   solid on      connected, supply on
//   slow blink    connected, supply off (no credit or operator disconnect)
//   short flash   not connected to the broker (meter still meters and switches offline)
#pragma once

#include <cstdint>

namespace umeme {

inline bool statusLedOn(uint64_t nowMs, bool connected, bool relayClosed) {
  if (!connected) return nowMs % 2000 < 100;
  if (!relayClosed) return nowMs % 1000 < 500;
  return true;
}

}  // namespace umeme
