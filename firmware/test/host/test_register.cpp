// Protects the energy register: exact integration, never backwards, and at most one
// persistence step lost across power cuts.
#include <doctest/doctest.h>

#include <random>

#include "harness.h"
#include "umeme/energy_register.h"

using namespace umeme;

TEST_CASE("a day of 1 W in 1 ms steps adds exactly 24 Wh, where float accumulation drifts") {
  EnergyRegister energy;
  float floatWh = 0.0F;
  for (int i = 0; i < 24 * 3600 * 1000; ++i) {
    energy.accumulate(1'000, 1);
    floatWh += 1.0F / 3'600'000.0F;
  }
  CHECK(energy.totalMwh() == 24'000);
  CHECK(energy.remainderMwMs() == 0);
  // The naive sum is far off: this is the drift the integer register exists to avoid.
  CHECK(std::abs(floatWh - 24.0F) > 1.0F);
}

TEST_CASE("irregular windows of an odd power sum exactly, whatever the step sizes") {
  const uint64_t seed = std::random_device{}();
  INFO("seed = " << seed);
  std::mt19937_64 rng(seed);
  EnergyRegister energy;
  uint64_t totalMs = 0;
  const int64_t powerMw = 1'234'567;  // 1234.567 W
  while (totalMs < 10ULL * 3'600'000) {
    const auto step = static_cast<uint32_t>(1 + rng() % 997);
    energy.accumulate(powerMw, step);
    totalMs += step;
  }
  const int64_t exactMwMs = powerMw * static_cast<int64_t>(totalMs);
  CHECK(energy.totalMwh() == exactMwMs / kMwMsPerMwh);
  CHECK(energy.remainderMwMs() == exactMwMs % kMwMsPerMwh);
}

TEST_CASE("the register never runs backwards and clamps what it cannot represent") {
  EnergyRegister energy(100);
  energy.accumulate(-5'000'000, 1'000);
  CHECK(energy.totalMwh() == 100);
  energy.restore(50);
  CHECK(energy.totalMwh() == 100);
  energy.accumulate(INT64_MAX, UINT32_MAX);  // clamped to 1e7 W for one hour
  CHECK(energy.totalMwh() == 100 + 10'000'000'000);
}

TEST_CASE("across random power cuts the register never goes back past what was persisted") {
  const uint64_t seed = std::random_device{}();
  INFO("seed = " << seed);
  std::mt19937_64 rng(seed);
  bench::Bench bench;
  bench.creditLimit("1000000");
  const int64_t step = bench.options.persistStepMwh;
  int64_t highestPersisted = 0;
  int64_t lastSeq = -1;
  for (int cut = 0; cut < 200; ++cut) {
    const int windows = static_cast<int>(rng() % 50);
    for (int w = 0; w < windows; ++w) {
      bench.consume(static_cast<int64_t>(rng() % 4'000));
      bench.poll(200);
      const auto sent = bench.drain();
      if (const auto* report = bench::find(sent, ReportChannel::Consumption)) {
        const auto decoded = decodeConsumption(report->payload);
        REQUIRE(decoded.ok());
        CHECK(decoded.value.seq > lastSeq);  // numbering keeps growing, across reboots too
        lastSeq = decoded.value.seq;
      }
      highestPersisted = std::max(highestPersisted, bench.meter->persistedEnergyMwh());
    }
    const int64_t beforeCut = bench.meter->energyMwh();
    bench.reboot();
    const int64_t afterBoot = bench.meter->energyMwh();
    CHECK(afterBoot <= beforeCut);
    CHECK(beforeCut - afterBoot < step);
    CHECK(afterBoot >= highestPersisted);
  }
}

TEST_CASE("a clean shutdown loses nothing") {
  bench::Bench bench;
  bench.consume(1'234);
  bench.meter->shutdown(bench::kUnixNow);
  bench.reboot();
  CHECK(bench.meter->energyMwh() == 1'234);
}

TEST_CASE("cutting the supply writes the register, so a reboot cannot give used energy back") {
  bench::Bench bench;
  bench.creditLimit("0.001");  // 1000 mWh, well below one persistence step
  bench.consume(1'000);
  REQUIRE_FALSE(bench.meter->relayClosed());
  bench.poll();
  bench.reboot();
  CHECK(bench.meter->energyMwh() == 1'000);
  CHECK_FALSE(bench.meter->relayClosed());
}

TEST_CASE("a failed flash write is retried until it succeeds") {
  bench::Bench bench;
  bench.storage.setFailing(true);
  bench.consume(bench.options.persistStepMwh);
  bench.poll();
  CHECK(bench.meter->persistedEnergyMwh() == 0);
  bench.storage.setFailing(false);
  bench.poll();
  CHECK(bench.meter->persistedEnergyMwh() == bench.options.persistStepMwh);
}

TEST_CASE("flash writes stay proportional to energy, not to time or reports") {
  bench::Bench bench;
  bench.creditLimit("1000");
  // Ten kWh at 2 kW in 200 ms windows with a poll after each: 90,000 windows.
  for (int i = 0; i < 90'000; ++i) {
    Measurement measurement;
    measurement.powerMw = 2'000'000;
    bench.meter->recordMeasurement(measurement, 200);
    bench.poll(200);
  }
  CHECK(bench.meter->energyMwh() == 10'000'000);
  const uint64_t writes = bench.storage.writesOf(keys::kEnergy);
  CHECK(writes <= 10'000'000 / bench.options.persistStepMwh);
  CHECK(writes >= 10'000'000 / bench.options.persistStepMwh - 1);
}
