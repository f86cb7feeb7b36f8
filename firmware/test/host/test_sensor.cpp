// Protects the current and power maths on recorded ADC sample sequences (test/host/samples).
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "fixtures.h"
#include "umeme/sensor.h"

using namespace umeme;

namespace {

SensorConfig configFor(const fixtures::SampleSequence& sequence) {
  SensorConfig config;
  config.sensitivityMvPerA = sequence.mvPerA;
  config.dividerRatio = sequence.divider;
  config.mainsVoltageV = 230.0;
  return config;
}

const fixtures::SampleSequence& named(const std::vector<fixtures::SampleSequence>& all, const std::string& name) {
  for (const auto& sequence : all) {
    if (sequence.name == name) return sequence;
  }
  FAIL("no sample sequence " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("the zero-current offset is calibrated from a no-load window") {
  const auto sequences = fixtures::loadSampleSequences();
  const auto& noLoad = named(sequences, "no-load.csv");
  OffsetCalibrator calibrator;
  for (const uint32_t mv : noLoad.pinMv) calibrator.add(mv);
  CHECK(calibrator.ready(500));
  CHECK(calibrator.offsetPinMv() == doctest::Approx(noLoad.offsetPinMv).epsilon(0.001));
}

TEST_CASE("every recorded sequence reads its expected RMS current") {
  const auto sequences = fixtures::loadSampleSequences();
  REQUIRE(sequences.size() >= 5);
  OffsetCalibrator calibrator;
  for (const uint32_t mv : named(sequences, "no-load.csv").pinMv) calibrator.add(mv);

  for (const auto& sequence : sequences) {
    INFO(sequence.name);
    RmsWindow window(calibrator.offsetPinMv());
    for (const uint32_t mv : sequence.pinMv) window.add(mv);
    const Measurement measurement = window.finish(configFor(sequence));
    if (sequence.expectCurrentA == 0.0) {
      CHECK(measurement.currentA == 0.0);
      CHECK(measurement.powerMw == 0);
    } else {
      CHECK(std::abs(measurement.currentA - sequence.expectCurrentA) <= sequence.toleranceA);
      CHECK(measurement.powerW == doctest::Approx(measurement.currentA * 230.0));
      CHECK(measurement.powerMw == std::llround(measurement.powerW * 1000.0));
    }
  }
}

TEST_CASE("a 2 kW kettle reads 2 kW within one percent") {
  const auto sequences = fixtures::loadSampleSequences();
  OffsetCalibrator calibrator;
  for (const uint32_t mv : named(sequences, "no-load.csv").pinMv) calibrator.add(mv);
  const auto& kettle = named(sequences, "kettle-2kw.csv");
  RmsWindow window(calibrator.offsetPinMv());
  for (const uint32_t mv : kettle.pinMv) window.add(mv);
  CHECK(window.finish(configFor(kettle)).powerW == doctest::Approx(2000.0).epsilon(0.01));
}

TEST_CASE("current below the noise floor reads as zero, so an idle meter does not creep") {
  SensorConfig config;
  RmsWindow window(1666.0);
  for (int i = 0; i < 1000; ++i) window.add(i % 2 == 0 ? 1667 : 1665);  // 1 mV ripple
  const Measurement measurement = window.finish(config);
  CHECK(measurement.currentA == 0.0);
  CHECK(measurement.powerMw == 0);
}

TEST_CASE("an empty window or a broken configuration reads zero instead of NaN") {
  SensorConfig config;
  CHECK(RmsWindow(1666.0).finish(config).powerMw == 0);
  config.sensitivityMvPerA = 0.0;
  RmsWindow window(0.0);
  window.add(3000);
  CHECK(window.finish(config).powerMw == 0);
}

TEST_CASE("the offset follows slow drift while no current flows") {
  double offset = 1666.0;
  for (int i = 0; i < 200; ++i) offset = trackOffset(offset, 1676.0, 0.05);
  CHECK(offset == doctest::Approx(1676.0).epsilon(0.0001));
  CHECK(trackOffset(1666.0, 1676.0, 5.0) == 1676.0);  // the weight is clamped
}
