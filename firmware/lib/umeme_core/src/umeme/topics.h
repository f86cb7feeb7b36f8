// MQTT topic layout (docs/design.md §4): smartmeter/{meterNo}/...
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace umeme {

// Letters, digits, '-' and '_', 1-32 characters (packages/protocol METER_NO_PATTERN): the
// number is safe inside a topic (no wildcards) and inside JSON (nothing to escape).
bool isValidMeterNo(std::string_view meterNo);

enum class ReportChannel { Consumption, Status, Balance };
enum class CommandKind { Balance, Relay, Config };

std::string reportTopic(std::string_view meterNo, ReportChannel channel);
std::string commandTopic(std::string_view meterNo, CommandKind kind);
// The only subscription a meter makes, and the only one the broker allows it.
std::string commandSubscription(std::string_view meterNo);

// The command a topic addresses to this meter; empty for any other topic.
std::optional<CommandKind> parseCommandTopic(std::string_view meterNo, std::string_view topic);

}  // namespace umeme
