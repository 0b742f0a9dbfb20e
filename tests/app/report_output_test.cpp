// The report as printed: the JSON object's shape and the text lines.
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "ec2seed/app/report_output.h"

namespace ec2seed::app {
namespace {

RunSummary partial_kernel_run() {
    RunSummary summary;
    summary.report.outcome = Outcome::partial;
    summary.report.sources = {{"imds/instance-id", 20, 0, true},
                              {"imds/mac", 20, 24, true},
                              {"kms/generate-random", 1024, 8192, true}};
    summary.report.kms = KmsReport{2, 1024, {"req-1", "req-2"}};
    summary.report.requests = 9;
    summary.report.retries = 1;
    summary.report.imds_v1 = true;
    summary.report.region = "us-east-1";
    summary.report.errors = {{"imds/local-ipv4", Error{ErrorCode::http_status, "404 Not Found"}}};
    summary.transport = "native";
    summary.sink = transport::SinkKind::kernel;
    transport::KernelSinkReport kernel;
    kernel.before = {5, false};
    kernel.after = {256, true};
    summary.kernel = kernel;
    return summary;
}

TEST(JsonReport, ShapeAndValues) {
    const auto json = boost::json::parse(format_json_report(partial_kernel_run())).as_object();

    EXPECT_EQ(json.at("outcome").as_string(), "partial");
    EXPECT_EQ(json.at("transport").as_string(), "native");
    EXPECT_EQ(json.at("sink").as_string(), "kernel");
    EXPECT_FALSE(json.at("dry_run").as_bool());
    EXPECT_EQ(json.at("region").as_string(), "us-east-1");
    EXPECT_EQ(json.at("imds_v1").as_bool(), true);
    EXPECT_EQ(json.at("requests").as_int64(), 9);
    EXPECT_EQ(json.at("retries").as_int64(), 1);

    const auto& sources = json.at("sources").as_array();
    ASSERT_EQ(sources.size(), 3u);
    const auto& mac = sources[1].as_object();
    EXPECT_EQ(mac.size(), 4u);
    EXPECT_EQ(mac.at("source").as_string(), "imds/mac");
    EXPECT_EQ(mac.at("bytes").to_number<int>(), 20);
    EXPECT_EQ(mac.at("credit_bits").to_number<int>(), 24);
    EXPECT_EQ(mac.at("applied").as_bool(), true);

    const auto& kms = json.at("kms").as_object();
    EXPECT_EQ(kms.at("calls").as_int64(), 2);
    EXPECT_EQ(kms.at("bytes").to_number<int>(), 1024);
    EXPECT_EQ(kms.at("request_ids").as_array(), (boost::json::array{"req-1", "req-2"}));

    const auto& kernel = json.at("kernel").as_object();
    EXPECT_EQ(kernel.at("entropy_count_before").as_int64(), 5);
    EXPECT_EQ(kernel.at("entropy_count_after").as_int64(), 256);
    EXPECT_EQ(kernel.at("crng_ready_before").as_bool(), false);
    EXPECT_EQ(kernel.at("crng_ready_after").as_bool(), true);
    EXPECT_EQ(kernel.at("reseeded").as_bool(), false);
    EXPECT_FALSE(kernel.contains("reseed_error"));

    const auto& errors = json.at("errors").as_array();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].as_object().at("request").as_string(), "imds/local-ipv4");
    EXPECT_EQ(errors[0].as_object().at("code").as_string(), "http_status");
    EXPECT_EQ(errors[0].as_object().at("message").as_string(), "404 Not Found");
    EXPECT_TRUE(json.at("warnings").as_array().empty());
}

TEST(JsonReport, OneObjectOnOneLine) {
    const std::string text = format_json_report(partial_kernel_run());

    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    EXPECT_EQ(text.find('\n'), text.size() - 1);
}

TEST(JsonReport, NoKernelSectionForOtherSinksAndNullsForUnknowns) {
    RunSummary summary;
    summary.transport = "curl";
    summary.sink = transport::SinkKind::dry_run;
    summary.warnings = {"dry run: nothing was added"};

    const auto json = report_json(summary);

    EXPECT_EQ(json.at("outcome").as_string(), "failed");
    EXPECT_EQ(json.at("sink").as_string(), "dry-run");
    EXPECT_TRUE(json.at("dry_run").as_bool());
    EXPECT_FALSE(json.contains("kernel"));
    EXPECT_TRUE(json.at("region").is_null());
    EXPECT_EQ(json.at("warnings").as_array(), (boost::json::array{"dry run: nothing was added"}));

    summary.sink = transport::SinkKind::kernel;
    summary.kernel = transport::KernelSinkReport{};
    summary.kernel->reseed_error = "RNDRESEEDCRNG on /dev/random: EPERM";
    const auto with_kernel = report_json(summary);
    EXPECT_TRUE(with_kernel.at("kernel").as_object().at("entropy_count_before").is_null());
    EXPECT_TRUE(with_kernel.at("kernel").as_object().at("crng_ready_after").is_null());
    EXPECT_EQ(with_kernel.at("kernel").as_object().at("reseed_error").as_string(),
              "RNDRESEEDCRNG on /dev/random: EPERM");
}

TEST(TextReport, LinesAtAGlance) {
    const std::string text = format_text_report(partial_kernel_run());

    EXPECT_EQ(text,
              "outcome: partial\n"
              "sink: kernel, transport: native, region: us-east-1, IMDSv1 fallback: used\n"
              "added: imds/instance-id        20 bytes,     0 bits credited, applied\n"
              "added: imds/mac                20 bytes,    24 bits credited, applied\n"
              "added: kms/generate-random   1024 bytes,  8192 bits credited, applied\n"
              "kms: 2 calls, 1024 bytes, request ids: req-1 req-2\n"
              "kernel: entropy count 5 -> 256 bits, crng not ready -> ready, not reseeded\n"
              "requests: 9 (1 retry)\n"
              "error: imds/local-ipv4: http_status: 404 Not Found\n");
}

TEST(TextReport, NothingAddedAndWarnings) {
    RunSummary summary;
    summary.transport = "curl";
    summary.sink = transport::SinkKind::file;
    summary.report.errors = {{"", Error{ErrorCode::deadline_exceeded, "30 s passed"}}};
    summary.warnings = {"sink file: entropy was written to disk"};

    const std::string text = format_text_report(summary);

    EXPECT_NE(text.find("outcome: failed\n"), std::string::npos);
    EXPECT_NE(text.find("added: nothing\n"), std::string::npos);
    EXPECT_NE(text.find("kms: 0 calls, 0 bytes\n"), std::string::npos);
    EXPECT_EQ(text.find("kernel:"), std::string::npos);
    EXPECT_NE(text.find("error: run: deadline_exceeded: 30 s passed\n"), std::string::npos);
    EXPECT_NE(text.find("warning: sink file: entropy was written to disk\n"), std::string::npos);
}

TEST(TextReport, DryRunSaysWhatWouldHaveBeenAdded) {
    RunSummary summary = partial_kernel_run();
    summary.sink = transport::SinkKind::dry_run;
    summary.kernel.reset();

    const std::string text = format_text_report(summary);

    EXPECT_NE(text.find("would add: imds/mac                20 bytes,    24 bits credited, dry "
                        "run\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("added: "), std::string::npos) << text;
    summary.report.sources.clear();
    EXPECT_NE(format_text_report(summary).find("would add: nothing\n"), std::string::npos);
}

TEST(ExitStatus, PerOutcome) {
    EXPECT_EQ(exit_status(Outcome::complete), 0);
    EXPECT_EQ(exit_status(Outcome::partial), 3);
    EXPECT_EQ(exit_status(Outcome::failed), 1);
}

}  // namespace
}  // namespace ec2seed::app
