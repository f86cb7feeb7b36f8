#include "umeme/outbox.h"

namespace umeme {

std::size_t Outbox::index(ReportChannel channel) {
  switch (channel) {
    case ReportChannel::Status: return 0;
    case ReportChannel::Balance: return 1;
    case ReportChannel::Consumption: return 2;
  }
  return 2;
}

void Outbox::put(ReportChannel channel, std::string payload, bool retained) {
  Slot& slot = slots_[index(channel)];
  slot.payload = std::move(payload);
  slot.retained = retained;
  slot.state = SlotState::Waiting;
  slot.token = 0;  // an acknowledgement of the replaced send no longer clears this slot
}

std::optional<OutgoingMessage> Outbox::takeNext() {
  static constexpr ReportChannel kOrder[] = {ReportChannel::Status, ReportChannel::Balance,
                                             ReportChannel::Consumption};
  for (const ReportChannel channel : kOrder) {
    Slot& slot = slots_[index(channel)];
    if (slot.state != SlotState::Waiting) continue;
    slot.state = SlotState::InFlight;
    slot.token = nextToken_++;
    if (nextToken_ == 0) nextToken_ = 1;  // 0 means "no send"
    return OutgoingMessage{channel, slot.payload, slot.retained, slot.token};
  }
  return std::nullopt;
}

void Outbox::acknowledge(uint32_t token) {
  if (token == 0) return;
  for (Slot& slot : slots_) {
    if (slot.state == SlotState::InFlight && slot.token == token) {
      slot.state = SlotState::Empty;
      slot.payload.clear();
      slot.token = 0;
    }
  }
}

void Outbox::connectionLost() {
  for (Slot& slot : slots_) {
    if (slot.state == SlotState::InFlight) slot.state = SlotState::Waiting;
  }
}

bool Outbox::isWaiting(ReportChannel channel) const {
  return slots_[index(channel)].state == SlotState::Waiting;
}

bool Outbox::idle() const {
  for (const Slot& slot : slots_) {
    if (slot.state != SlotState::Empty) return false;
  }
  return true;
}

std::size_t Outbox::waiting() const {
  std::size_t count = 0;
  for (const Slot& slot : slots_) {
    if (slot.state == SlotState::Waiting) ++count;
  }
  return count;
}

}  // namespace umeme
