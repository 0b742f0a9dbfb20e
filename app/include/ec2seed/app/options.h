// The command line and the environment, resolved into what a run needs.
//
// Precedence: a flag wins over an environment variable, which wins over the
// default. Every refusal is a usage error (exit 2) whose message names the flag or
// variable and what it accepts; nothing has been sent when it is returned.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ec2seed/core/config.h"
#include "ec2seed/core/result.h"
#include "ec2seed/transport/entropy_sink.h"

namespace ec2seed::app {

// Reads one environment variable; unset and empty are both nullopt.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// The process's environment (getenv).
Environment process_environment();

enum class TransportKind : std::uint8_t { curl, native };
enum class ReportFormat : std::uint8_t { text, json };
enum class Verbosity : std::uint8_t { quiet, normal, verbose };

std::string_view to_string(TransportKind kind) noexcept;

struct Options {
    SeederConfig seeder;  // jitter_seed is left 0: the driver sets it
    transport::SinkSpec sink;
    TransportKind transport = TransportKind::native;
    std::optional<std::string> ca_bundle;
    ReportFormat report = ReportFormat::text;
    std::optional<std::string> record_path;
    Verbosity verbosity = Verbosity::normal;
};

enum class Action : std::uint8_t { run, help, version };

struct CommandLine {
    Action action = Action::run;
    Options options;  // meaningful for Action::run
};

// Parses args (without the program name) and the environment.
// Errors: bad_config, the message naming the flag or variable and what it accepts;
// the caller prints it and exits 2.
Result<CommandLine> parse_command_line(std::span<const std::string> args, const Environment& env);

// The --help text.
std::string usage_text();

}  // namespace ec2seed::app
