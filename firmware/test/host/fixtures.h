// Test helpers: the shared protocol vectors and recorded sensor samples, read from disk at
// test time so that the firmware is always checked against what the server is checked
// against.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "umeme/storage.h"

namespace fixtures {

// packages/protocol/vectors/<name>; UMEME_VECTORS_DIR in the environment overrides the
// directory. Throws (failing the test) if the file is missing or not JSON.
nlohmann::json loadVectors(const std::string& name);

struct SampleSequence {
  std::string name;
  double sampleRateHz = 0;
  double offsetPinMv = 0;
  double mvPerA = 0;
  double divider = 0;
  double expectCurrentA = 0;
  double toleranceA = 0;
  std::vector<uint32_t> pinMv;
};

std::vector<SampleSequence> loadSampleSequences();

}  // namespace fixtures
