// Protects the offline queue: constant memory, newest totals win, nothing lost on a drop.
#include <doctest/doctest.h>

#include "umeme/outbox.h"

using namespace umeme;

TEST_CASE("a newer report replaces an unsent one on the same topic") {
  Outbox outbox;
  for (int i = 0; i < 1000; ++i) outbox.put(ReportChannel::Consumption, "report " + std::to_string(i), false);
  CHECK(outbox.waiting() == 1);
  const auto message = outbox.takeNext();
  REQUIRE(message.has_value());
  CHECK(message->payload == "report 999");
  CHECK_FALSE(outbox.takeNext().has_value());
}

TEST_CASE("status goes first, then the balance view, then consumption") {
  Outbox outbox;
  outbox.put(ReportChannel::Consumption, "c", false);
  outbox.put(ReportChannel::Balance, "b", false);
  outbox.put(ReportChannel::Status, "s", true);
  CHECK(outbox.takeNext()->channel == ReportChannel::Status);
  CHECK(outbox.takeNext()->channel == ReportChannel::Balance);
  CHECK(outbox.takeNext()->channel == ReportChannel::Consumption);
}

TEST_CASE("an acknowledged send empties its slot") {
  Outbox outbox;
  outbox.put(ReportChannel::Status, "s", true);
  const auto message = outbox.takeNext();
  CHECK(message->retained);
  CHECK_FALSE(outbox.idle());
  outbox.acknowledge(message->token);
  CHECK(outbox.idle());
}

TEST_CASE("sends in flight when the connection drops are sent again") {
  Outbox outbox;
  outbox.put(ReportChannel::Consumption, "c1", false);
  const auto first = outbox.takeNext();
  outbox.connectionLost();
  const auto again = outbox.takeNext();
  REQUIRE(again.has_value());
  CHECK(again->payload == "c1");
  CHECK(again->token != first->token);
  outbox.acknowledge(first->token);  // a late PUBACK of the old send changes nothing
  CHECK_FALSE(outbox.idle());
  outbox.acknowledge(again->token);
  CHECK(outbox.idle());
}

TEST_CASE("the acknowledgement of a replaced send does not drop the newer report") {
  Outbox outbox;
  outbox.put(ReportChannel::Consumption, "old", false);
  const auto old = outbox.takeNext();
  outbox.put(ReportChannel::Consumption, "new", false);
  outbox.acknowledge(old->token);
  const auto next = outbox.takeNext();
  REQUIRE(next.has_value());
  CHECK(next->payload == "new");
}
