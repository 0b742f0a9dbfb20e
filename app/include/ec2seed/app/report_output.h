// The run's report as the command prints it: one JSON object (--report json) or
// lines a person reads at a glance (--report text). Neither holds a secret or an
// entropy byte: only names, counts, statuses and request IDs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "ec2seed/core/report.h"
#include "ec2seed/transport/entropy_sink.h"

namespace ec2seed::app {

struct RunSummary {
    Report report;
    std::string transport;  // "curl" or "native"
    transport::SinkKind sink = transport::SinkKind::kernel;
    std::optional<transport::KernelSinkReport> kernel;  // kernel sink only
    std::vector<std::string> warnings;                  // the sink's, and the driver's
};

// Exit status for an outcome: 0 complete, 3 partial, 1 failed.
int exit_status(Outcome outcome) noexcept;

// The JSON object: outcome, sources, kms, kernel (kernel sink), errors, warnings,
// transport, sink, region, imds_v1, requests, retries.
boost::json::object report_json(const RunSummary& summary);

// serialize(report_json(summary)) and a newline.
std::string format_json_report(const RunSummary& summary);

std::string format_text_report(const RunSummary& summary);

}  // namespace ec2seed::app
