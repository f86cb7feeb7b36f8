#include "fixtures.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace fixtures {

namespace {

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

nlohmann::json loadVectors(const std::string& name) {
  const char* overridden = std::getenv("UMEME_VECTORS_DIR");
  const std::filesystem::path dir = overridden != nullptr ? overridden : UMEME_VECTORS_DIR;
  return nlohmann::json::parse(readFile(dir / name));
}

std::vector<SampleSequence> loadSampleSequences() {
  std::vector<SampleSequence> sequences;
  for (const auto& entry : std::filesystem::directory_iterator(UMEME_SAMPLES_DIR)) {
    if (entry.path().extension() != ".csv") continue;
    SampleSequence sequence;
    sequence.name = entry.path().filename().string();
    std::istringstream lines(readFile(entry.path()));
    std::string line;
    std::map<std::string, double> header;
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      if (line[0] == '#') {
        std::istringstream words(line.substr(1));
        std::string word;
        while (words >> word) {
          const std::size_t eq = word.find('=');
          if (eq != std::string::npos) header[word.substr(0, eq)] = std::stod(word.substr(eq + 1));
        }
        continue;
      }
      sequence.pinMv.push_back(static_cast<uint32_t>(std::stoul(line)));
    }
    const auto need = [&](const char* key) {
      const auto it = header.find(key);
      if (it == header.end()) throw std::runtime_error(sequence.name + ": header lacks " + key);
      return it->second;
    };
    sequence.sampleRateHz = need("sample_rate_hz");
    sequence.offsetPinMv = need("offset_pin_mv");
    sequence.mvPerA = need("mv_per_a");
    sequence.divider = need("divider");
    sequence.expectCurrentA = need("expect_current_a");
    sequence.toleranceA = need("tolerance_a");
    sequences.push_back(std::move(sequence));
  }
  std::sort(sequences.begin(), sequences.end(),
            [](const SampleSequence& a, const SampleSequence& b) { return a.name < b.name; });
  return sequences;
}

}  // namespace fixtures
