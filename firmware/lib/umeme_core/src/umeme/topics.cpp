#include "umeme/topics.h"

#include "umeme/limits.h"

namespace umeme {

namespace {
constexpr std::string_view kRoot = "smartmeter/";
constexpr std::string_view kCommand = "/command/";
}  // namespace

bool isValidMeterNo(std::string_view meterNo) {
  if (meterNo.empty() || meterNo.size() > kMaxMeterNoLength) return false;
  for (const char c : meterNo) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string reportTopic(std::string_view meterNo, ReportChannel channel) {
  std::string topic(kRoot);
  topic += meterNo;
  switch (channel) {
    case ReportChannel::Consumption: topic += "/consumption"; break;
    case ReportChannel::Status: topic += "/status"; break;
    case ReportChannel::Balance: topic += "/balance"; break;
  }
  return topic;
}

std::string commandTopic(std::string_view meterNo, CommandKind kind) {
  std::string topic(kRoot);
  topic += meterNo;
  topic += kCommand;
  switch (kind) {
    case CommandKind::Balance: topic += "balance"; break;
    case CommandKind::Relay: topic += "relay"; break;
    case CommandKind::Config: topic += "config"; break;
  }
  return topic;
}

std::string commandSubscription(std::string_view meterNo) {
  std::string topic(kRoot);
  topic += meterNo;
  topic += kCommand;
  topic += '#';
  return topic;
}

std::optional<CommandKind> parseCommandTopic(std::string_view meterNo, std::string_view topic) {
  if (topic.substr(0, kRoot.size()) != kRoot) return std::nullopt;
  topic.remove_prefix(kRoot.size());
  if (topic.substr(0, meterNo.size()) != meterNo) return std::nullopt;
  topic.remove_prefix(meterNo.size());
  if (topic.substr(0, kCommand.size()) != kCommand) return std::nullopt;
  topic.remove_prefix(kCommand.size());
  if (topic == "balance") return CommandKind::Balance;
  if (topic == "relay") return CommandKind::Relay;
  if (topic == "config") return CommandKind::Config;
  return std::nullopt;
}

}  // namespace umeme
