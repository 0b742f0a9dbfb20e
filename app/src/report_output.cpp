// Reports for scripts (JSON) and for people (text).
#include "ec2seed/app/report_output.h"

#include <iomanip>
#include <sstream>

#include <boost/json.hpp>

namespace ec2seed::app {
namespace {

boost::json::value optional_json(const std::optional<int>& value) {
    return value ? boost::json::value(*value) : boost::json::value(nullptr);
}

boost::json::value optional_json(const std::optional<bool>& value) {
    return value ? boost::json::value(*value) : boost::json::value(nullptr);
}

std::string count_text(const std::optional<int>& bits) {
    return bits ? std::to_string(*bits) : "unknown";
}

std::string ready_text(const std::optional<bool>& ready) {
    return ready ? (*ready ? "ready" : "not ready") : "unknown";
}

}  // namespace

int exit_status(Outcome outcome) noexcept {
    switch (outcome) {
        case Outcome::complete:
            return 0;
        case Outcome::partial:
            return 3;
        case Outcome::failed:
            return 1;
    }
    return 1;
}

boost::json::object report_json(const RunSummary& summary) {
    const Report& report = summary.report;
    boost::json::object json;

    json["outcome"] = to_string(report.outcome);
    json["transport"] = summary.transport;
    json["sink"] = to_string(summary.sink);
    // With the dry-run sink, "applied" means "would have been added".
    json["dry_run"] = summary.sink == transport::SinkKind::dry_run;

    boost::json::array sources;
    for (const auto& added : report.sources) {
        sources.push_back(boost::json::object{{"source", added.source},
                                              {"bytes", added.bytes},
                                              {"credit_bits", added.credit_bits},
                                              {"applied", added.applied}});
    }
    json["sources"] = std::move(sources);

    boost::json::array request_ids;
    for (const auto& id : report.kms.request_ids) {
        request_ids.emplace_back(id);
    }
    json["kms"] = boost::json::object{{"calls", report.kms.calls},
                                      {"bytes", report.kms.bytes},
                                      {"request_ids", std::move(request_ids)}};

    if (summary.kernel) {
        const auto& kernel = *summary.kernel;
        json["kernel"] = boost::json::object{
            {"entropy_count_before", optional_json(kernel.before.entropy_count)},
            {"entropy_count_after", optional_json(kernel.after.entropy_count)},
            {"crng_ready_before", optional_json(kernel.before.crng_ready)},
            {"crng_ready_after", optional_json(kernel.after.crng_ready)},
            {"reseeded", kernel.reseeded},
            {"crng_ready_cause", kernel.crng_ready_cause.empty()
                                     ? boost::json::value(nullptr)
                                     : boost::json::value(kernel.crng_ready_cause)}};
        if (!kernel.reseed_error.empty()) {
            json["kernel"].as_object()["reseed_error"] = kernel.reseed_error;
        }
    }

    boost::json::array errors;
    for (const auto& failure : report.errors) {
        errors.push_back(boost::json::object{{"request", failure.request},
                                             {"code", to_string(failure.error.code)},
                                             {"message", failure.error.message}});
    }
    json["errors"] = std::move(errors);

    boost::json::array warnings;
    for (const auto& warning : summary.warnings) {
        warnings.emplace_back(warning);
    }
    json["warnings"] = std::move(warnings);

    json["region"] =
        report.region.empty() ? boost::json::value(nullptr) : boost::json::value(report.region);
    json["imds_v1"] = report.imds_v1;
    json["requests"] = report.requests;
    json["retries"] = report.retries;
    return json;
}

std::string format_json_report(const RunSummary& summary) {
    return boost::json::serialize(report_json(summary)) + "\n";
}

std::string format_text_report(const RunSummary& summary) {
    const Report& report = summary.report;
    std::ostringstream text;

    text << "outcome: " << to_string(report.outcome) << "\n";
    text << "sink: " << to_string(summary.sink) << ", transport: " << summary.transport
         << ", region: " << (report.region.empty() ? "unknown" : report.region)
         << ", IMDSv1 fallback: " << (report.imds_v1 ? "used" : "not used") << "\n";

    // A dry run changed nothing: its lines say what would have been added.
    const bool dry_run = summary.sink == transport::SinkKind::dry_run;
    const char* label = dry_run ? "would add: " : "added: ";
    for (const auto& added : report.sources) {
        text << label << std::left << std::setw(20) << added.source << std::right << std::setw(6)
             << added.bytes << " bytes, " << std::setw(5) << added.credit_bits << " bits credited, "
             << (dry_run         ? "dry run"
                 : added.applied ? "applied"
                                 : "NOT applied")
             << "\n";
    }
    if (report.sources.empty()) {
        text << label << "nothing\n";
    }

    text << "kms: " << report.kms.calls << (report.kms.calls == 1 ? " call, " : " calls, ")
         << report.kms.bytes << " bytes";
    if (!report.kms.request_ids.empty()) {
        text << ", request ids:";
        for (const auto& id : report.kms.request_ids) {
            text << " " << id;
        }
    }
    text << "\n";

    if (summary.kernel) {
        const auto& kernel = *summary.kernel;
        text << "kernel: entropy count " << count_text(kernel.before.entropy_count) << " -> "
             << count_text(kernel.after.entropy_count) << " bits, crng "
             << ready_text(kernel.before.crng_ready) << " -> "
             << ready_text(kernel.after.crng_ready)
             << (kernel.reseeded ? ", reseeded" : ", not reseeded") << "\n";
        if (!kernel.crng_ready_cause.empty()) {
            text << "kernel: crng turned ready by " << kernel.crng_ready_cause << "\n";
        }
        if (!kernel.reseed_error.empty()) {
            text << "kernel: reseed failed: " << kernel.reseed_error << "\n";
        }
    }

    text << "requests: " << report.requests << " (" << report.retries
         << (report.retries == 1 ? " retry" : " retries") << ")\n";

    for (const auto& failure : report.errors) {
        text << "error: " << (failure.request.empty() ? "run" : failure.request) << ": "
             << to_string(failure.error.code) << ": " << failure.error.message << "\n";
    }
    for (const auto& warning : summary.warnings) {
        text << "warning: " << warning << "\n";
    }
    return text.str();
}

}  // namespace ec2seed::app
