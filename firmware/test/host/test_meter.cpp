// Protects the meter as a whole: what it does with credit, commands, the clock and the
// connection, seen only through its relay and the messages it publishes.
#include <doctest/doctest.h>

#include <string>
#include <tuple>

#include "fixtures.h"
#include "harness.h"
#include "umeme/units.h"

using namespace umeme;

namespace {

ConsumptionReport consumptionOf(const std::vector<OutgoingMessage>& sent) {
  const auto* message = bench::find(sent, ReportChannel::Consumption);
  REQUIRE(message != nullptr);
  const auto decoded = decodeConsumption(message->payload);
  REQUIRE(decoded.ok());
  return decoded.value;
}

StatusReport statusOf(const std::vector<OutgoingMessage>& sent) {
  const auto* message = bench::find(sent, ReportChannel::Status);
  REQUIRE(message != nullptr);
  CHECK(message->retained);
  const auto decoded = decodeStatus(message->payload);
  REQUIRE(decoded.ok());
  return decoded.value;
}

}  // namespace

TEST_CASE("a new meter without credit keeps the supply off and says why") {
  bench::Bench bench;
  CHECK_FALSE(bench.meter->relayClosed());
  bench.poll();
  const auto sent = bench.drain();
  CHECK(statusOf(sent).status == "low_balance");
  CHECK(consumptionOf(sent).relay == std::string("off"));
}

TEST_CASE("a payment turns the supply on, and it goes off exactly at the credit limit") {
  bench::Bench bench;
  bench.poll();
  bench.drain();

  CHECK(bench.creditLimit("1").outcome == CommandOutcome::Applied);
  CHECK(bench.meter->relayClosed());
  bench.poll();
  auto sent = bench.drain();
  CHECK(consumptionOf(sent).relay == std::string("on"));
  REQUIRE(bench::find(sent, ReportChannel::Balance) != nullptr);
  const auto view = decodeMeterBalance(bench::find(sent, ReportChannel::Balance)->payload);
  REQUIRE(view.ok());
  CHECK(view.value.creditLimitMwh == 1'000'000);

  bench.consume(999'999);
  CHECK(bench.meter->relayClosed());
  bench.consume(1);
  CHECK_FALSE(bench.meter->relayClosed());
  bench.poll();  // the cut is reported at once, not at the next interval
  sent = bench.drain();
  const ConsumptionReport report = consumptionOf(sent);
  CHECK(report.relay == std::string("off"));
  CHECK(report.energyTotalMwh == 1'000'000);
  CHECK(report.remainingBalanceMwh == 0);
}

TEST_CASE("emergency credit lets the supply run past the limit, then cuts it") {
  bench::Bench bench;
  bench.creditLimit("1");
  CHECK(bench.command("config", R"({"publishIntervalS":60,"lowBalanceKwh":0.5,"emergencyCreditKwh":0.25})")
            .outcome == CommandOutcome::Applied);
  bench.consume(1'200'000);
  CHECK(bench.meter->relayClosed());
  CHECK(bench.meter->balanceMwh() == -200'000);
  CHECK(bench.meter->status() == MeterStatus::LowBalance);
  bench.consume(50'000);
  CHECK_FALSE(bench.meter->relayClosed());
  // The next purchase repays the debt first, simply by raising C.
  bench.creditLimit("1.3");
  CHECK(bench.meter->relayClosed());
  CHECK(bench.meter->balanceMwh() == 50'000);
}

TEST_CASE("duplicated and reordered credit limits are harmless") {
  bench::Bench bench;
  bench.creditLimit("5");
  CHECK(bench.creditLimit("3").outcome == CommandOutcome::Unchanged);
  CHECK(bench.creditLimit("5").outcome == CommandOutcome::Unchanged);
  CHECK(bench.meter->creditLimitMwh() == 5'000'000);
}

TEST_CASE("the operator's override wins over credit until set back to auto, and is acknowledged") {
  bench::Bench bench;
  bench.creditLimit("1");
  bench.poll();
  bench.drain();

  CHECK(bench.command("relay", R"({"action":"disconnect","reason":"inspection","timestamp":1763800000,"id":"c-1"})")
            .outcome == CommandOutcome::Applied);
  CHECK_FALSE(bench.meter->relayClosed());
  bench.poll();
  auto sent = bench.drain();
  CHECK(statusOf(sent).ack == std::string("c-1"));

  bench.reboot();  // an operator's disconnect survives a power cut
  CHECK_FALSE(bench.meter->relayClosed());

  bench.command("relay", R"({"action":"auto","reason":"done","timestamp":1763800000,"id":"c-2"})");
  CHECK(bench.meter->relayClosed());
  bench.consume(2'000'000);
  CHECK_FALSE(bench.meter->relayClosed());
  bench.command("relay", R"({"action":"connect","reason":"medical","timestamp":1763800000})");
  CHECK(bench.meter->relayClosed());
}

TEST_CASE("a repeated relay command is acknowledged again without changing anything") {
  bench::Bench bench;
  bench.command("relay", R"({"action":"disconnect","reason":"x","timestamp":1763800000,"id":"a"})");
  bench.poll();
  bench.drain();
  CHECK(bench.command("relay", R"({"action":"disconnect","reason":"x","timestamp":1763800000,"id":"b"})")
            .outcome == CommandOutcome::Unchanged);
  bench.poll();
  CHECK(statusOf(bench.drain()).ack == std::string("b"));
}

TEST_CASE("malformed, oversized and foreign commands change nothing and are logged once a minute") {
  bench::Bench bench;
  bench.creditLimit("2");
  bench.consume(500'000);
  const auto snapshot = [&] {
    return std::make_tuple(bench.meter->energyMwh(), bench.meter->creditLimitMwh(), bench.meter->relayClosed(),
                           bench.meter->relayOverride(), bench.meter->emergencyCreditMwh(),
                           bench.meter->lowBalanceMwh(), bench.meter->publishIntervalMs());
  };
  const auto before = snapshot();
  const uint64_t writesBefore = bench.storage.writes();

  const auto vectors = fixtures::loadVectors("payloads.json");
  for (const auto& [section, kind] : {std::pair{"commandBalance", "balance"}, std::pair{"commandRelay", "relay"},
                                      std::pair{"commandConfig", "config"}}) {
    for (const auto& vector : vectors.at(section).at("invalid")) {
      INFO(vector.at("name").get<std::string>());
      CHECK(bench.command(kind, vector.at("payload").get<std::string>()).outcome == CommandOutcome::Rejected);
    }
  }
  // A valid credit limit is still refused whole when the payload is oversized.
  std::string huge = R"({"balance":1,"creditLimit":100,"timestamp":1763800000,"pad":")";
  huge += std::string(3000, 'x') + "\"}";
  CHECK(bench.command("balance", huge).outcome == CommandOutcome::Rejected);
  CHECK(bench.command("balance", std::string("\xFF\xFE", 2)).outcome == CommandOutcome::Rejected);
  // Another meter's command, or an unknown command, is not ours to apply.
  CHECK(bench.meter->handleMessage("smartmeter/M2/command/balance",
                                   R"({"balance":1,"creditLimit":100,"timestamp":1763800000})")
            .outcome == CommandOutcome::NotForUs);
  CHECK(bench.meter->handleMessage("smartmeter/M1/command/reboot", "{}").outcome == CommandOutcome::NotForUs);
  CHECK(bench.meter->handleMessage("smartmeter/M1/command/balance/extra", "{}").outcome ==
        CommandOutcome::NotForUs);

  CHECK(snapshot() == before);
  CHECK(bench.storage.writes() == writesBefore);

  const auto first = bench.meter->takeRejectionLog(1'000);
  REQUIRE(first.has_value());
  CHECK(first->find("rejected") != std::string::npos);
  bench.command("balance", "nonsense");
  CHECK_FALSE(bench.meter->takeRejectionLog(30'000).has_value());
  CHECK(bench.meter->takeRejectionLog(61'000).has_value());
  CHECK_FALSE(bench.meter->takeRejectionLog(200'000).has_value());  // nothing new to say
}

TEST_CASE("a command is read from exactly the meter's own topics") {
  bench::Bench bench;  // meter M1
  // "M1" must not match the commands of meter "M10".
  CHECK(bench.meter->handleMessage("smartmeter/M10/command/balance",
                                   R"({"balance":1,"creditLimit":100,"timestamp":1763800000})")
            .outcome == CommandOutcome::NotForUs);
  CHECK(bench.meter->creditLimitMwh() == 0);
}

TEST_CASE("settings from command/config survive a reboot, and so does the credit limit") {
  bench::Bench bench;
  bench.creditLimit("7.5");
  bench.command("config", R"({"publishIntervalS":15,"lowBalanceKwh":2,"emergencyCreditKwh":1,"maxLoadW":3000})");
  bench.reboot();
  CHECK(bench.meter->creditLimitMwh() == 7'500'000);
  CHECK(bench.meter->publishIntervalMs() == 15'000);
  CHECK(bench.meter->lowBalanceMwh() == 2'000'000);
  CHECK(bench.meter->emergencyCreditMwh() == 1'000'000);
  CHECK(bench.meter->maxLoadW() == 3000);
  bench.command("config", R"({"publishIntervalS":15,"lowBalanceKwh":2,"emergencyCreditKwh":1})");
  bench.reboot();
  CHECK_FALSE(bench.meter->maxLoadW().has_value());
}

TEST_CASE("reports go out every publish interval and carry the growing register") {
  bench::Bench bench;
  bench.creditLimit("10");
  bench.poll();
  bench.drain();
  bench.consume(1'000);
  bench.poll(5'000);
  CHECK(bench::find(bench.drain(), ReportChannel::Consumption) == nullptr);
  bench.poll(5'000);
  auto sent = bench.drain();
  const auto report = consumptionOf(sent);
  CHECK(report.energyTotalMwh == 1'000);
  CHECK(report.remainingBalanceMwh == 9'999'000);
}

TEST_CASE("offline for a day, the meter holds one report with the latest totals") {
  bench::Bench bench;
  bench.creditLimit("100");
  for (int i = 0; i < 8'640; ++i) {  // a day of 10 s intervals with nobody draining
    bench.consume(100);
    bench.poll(10'000);
  }
  CHECK(bench.meter->outbox().waiting() == 3);  // one per topic, however long the outage
  bench.meter->onConnected();
  bench.poll();
  const auto sent = bench.drain();
  CHECK(consumptionOf(sent).energyTotalMwh == 864'000);
  CHECK(statusOf(sent).status == "online");
}

TEST_CASE("units consumed add up to the register's growth even when reports were replaced unsent") {
  bench::Bench bench;
  bench.creditLimit("100");
  bench.poll();
  bench.drain();
  bench.consume(1'000);
  bench.poll(10'000);
  bench.drain();  // delivered: the base is now 1000 mWh
  for (int i = 0; i < 5; ++i) {  // five reports, each replacing the last, none sent
    bench.consume(700);
    bench.poll(10'000);
  }
  const auto delivered = decodeConsumption(bench::find(bench.drain(), ReportChannel::Consumption)->payload);
  REQUIRE(delivered.ok());
  CHECK(delivered.value.energyTotalMwh == 4'500);
  CHECK(delivered.value.unitsConsumedMwh == 3'500);
}

TEST_CASE("reports that need a timestamp wait for the clock; the status goes without one") {
  bench::Bench bench;
  bench.unixNow = 0;  // no SNTP answer yet
  bench.consume(10);
  bench.poll();
  auto sent = bench.drain();
  CHECK(bench::find(sent, ReportChannel::Consumption) == nullptr);
  CHECK_FALSE(statusOf(sent).timestamp.has_value());
  bench.unixNow = bench::kUnixNow;
  bench.poll();
  sent = bench.drain();
  CHECK(consumptionOf(sent).energyTotalMwh == 10);
}

TEST_CASE("a reconnection announces the meter online and resends its totals") {
  bench::Bench bench;
  bench.creditLimit("3");
  bench.poll();
  bench.drain();
  bench.meter->setWifiRssi(-67);
  bench.meter->onConnected();
  bench.poll();
  const auto sent = bench.drain();
  const auto status = statusOf(sent);
  CHECK(status.status == "online");
  CHECK(status.wifiRssi == -67);
  CHECK(status.balanceMwh == 3'000'000);
  CHECK(bench::find(sent, ReportChannel::Balance) != nullptr);
  CHECK(bench::find(sent, ReportChannel::Consumption) != nullptr);
}

TEST_CASE("the Last Will says offline without stale numbers, and a clean stop says offline too") {
  bench::Bench bench;
  const auto will = decodeStatus(bench.meter->lastWillPayload());
  REQUIRE(will.ok());
  CHECK(will.value.status == "offline");
  CHECK_FALSE(will.value.balanceMwh.has_value());
  CHECK_FALSE(will.value.timestamp.has_value());

  bench.meter->shutdown(bench::kUnixNow);
  CHECK(statusOf(bench.drain()).status == "offline");
}

TEST_CASE("current through an open relay for half a minute is reported as tamper") {
  bench::Bench bench;  // no credit: the relay is open
  bench.poll();
  bench.drain();
  for (int i = 0; i < 150; ++i) {
    Measurement leak;
    leak.currentA = 4.0;
    leak.powerW = 920.0;
    leak.powerMw = 920'000;
    bench.meter->recordMeasurement(leak, 200);
  }
  bench.poll();
  CHECK(statusOf(bench.drain()).status == "tamper");
  // The energy is still counted: the register measures what flowed.
  CHECK(bench.meter->energyMwh() == 920'000LL * 30'000 / 3'600'000);
}

TEST_CASE("the register and credit limit cross the wire exactly, whatever their values") {
  bench::Bench bench;
  bench.creditLimit("123456.789012");
  bench.consume(98'765'432'109);
  bench.poll();
  const auto sent = bench.drain();
  const auto report = consumptionOf(sent);
  CHECK(report.energyTotalMwh == 98'765'432'109);
  CHECK(report.remainingBalanceMwh == 123'456'789'012 - 98'765'432'109);
}
