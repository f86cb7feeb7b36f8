// The meter's half of the credit protocol (docs/design.md §3): it owns the energy register E and
// keeps the largest credit limit C the server has sent. Pure functions, checked against
// packages/protocol/vectors/credit.json.
#pragma once

#include <cstdint>

namespace umeme {

// An operator's override from command/relay; Auto follows the credit rule.
enum class RelayOverride : uint8_t { Auto = 0, Connect = 1, Disconnect = 2 };

// Closed iff E < C + emergency credit, unless an operator forces the relay either way.
bool relayShouldBeClosed(int64_t energyMwh, int64_t creditLimitMwh, int64_t emergencyCreditMwh,
                         RelayOverride override);

// C only grows on the meter: a duplicated, stale or reordered command/balance changes
// nothing. Returns true when `received` raised the kept limit.
bool keepLargestCreditLimit(int64_t& keptMwh, int64_t receivedMwh);

// Balance = C - E, negative while emergency credit is in use.
inline int64_t balanceMwh(int64_t energyMwh, int64_t creditLimitMwh) { return creditLimitMwh - energyMwh; }

// Below the low-balance threshold the meter warns (status low_balance) but keeps supplying.
bool isLowBalance(int64_t energyMwh, int64_t creditLimitMwh, int64_t lowBalanceMwh);

}  // namespace umeme
