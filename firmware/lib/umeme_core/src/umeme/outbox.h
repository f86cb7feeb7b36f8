// What the meter still has to tell the server. One slot per report topic, holding only the
// newest message: every report carries totals (E, C, state), so a newer one makes older
// ones worthless and an offline meter needs constant memory, however long it is offline.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "umeme/topics.h"

namespace umeme {

struct OutgoingMessage {
  ReportChannel channel = ReportChannel::Consumption;
  std::string payload;
  bool retained = false;
  uint32_t token = 0;  // identifies this send, so an acknowledgement of a replaced one is ignored
};

class Outbox {
 public:
  // Queues payload for channel, replacing anything not yet acknowledged there.
  void put(ReportChannel channel, std::string payload, bool retained);

  // The next message waiting to be sent (status first, then balance, then consumption),
  // now marked in flight; empty when nothing waits.
  std::optional<OutgoingMessage> takeNext();

  // The broker acknowledged the send identified by token (PUBACK for QoS 1).
  void acknowledge(uint32_t token);

  // The connection dropped: sends in flight are retried on the next connection.
  void connectionLost();

  // True while a message for channel waits unsent (a new put() would replace it).
  bool isWaiting(ReportChannel channel) const;

  bool idle() const;
  std::size_t waiting() const;

 private:
  enum class SlotState : uint8_t { Empty, Waiting, InFlight };
  struct Slot {
    SlotState state = SlotState::Empty;
    std::string payload;
    bool retained = false;
    uint32_t token = 0;
  };
  static std::size_t index(ReportChannel channel);

  std::array<Slot, 3> slots_{};
  uint32_t nextToken_ = 1;
};

}  // namespace umeme
