#include "umeme/credit.h"

namespace umeme {

bool relayShouldBeClosed(int64_t energyMwh, int64_t creditLimitMwh, int64_t emergencyCreditMwh,
                         RelayOverride override) {
  switch (override) {
    case RelayOverride::Connect: return true;
    case RelayOverride::Disconnect: return false;
    case RelayOverride::Auto: break;
  }
  // Written as a difference so that no sum can overflow near the top of the range.
  return energyMwh - creditLimitMwh < emergencyCreditMwh;
}

bool keepLargestCreditLimit(int64_t& keptMwh, int64_t receivedMwh) {
  if (receivedMwh <= keptMwh) return false;
  keptMwh = receivedMwh;
  return true;
}

bool isLowBalance(int64_t energyMwh, int64_t creditLimitMwh, int64_t lowBalanceMwh) {
  return balanceMwh(energyMwh, creditLimitMwh) < lowBalanceMwh;
}

}  // namespace umeme
