// The driver with the real Seeder over an in-process IMDS + KMS stand-in: exit
// statuses, the report on stdout, the logs on stderr, the exact bytes a file sink
// receives, and that a usage error sends nothing.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <botan/base64.h>
#include <botan/hash.h>
#include <botan/hex.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "ec2seed/app/run.h"

#include "temp_dir.h"

namespace ec2seed::app {
namespace {

constexpr std::string_view token_value = "FAKE-IMDS-TOKEN-must-not-be-logged";
constexpr std::string_view secret_key = "FAKE-SECRET-KEY-must-not-be-logged";
constexpr std::string_view session_token = "FAKE-SESSION-TOKEN-must-not-be-logged";
constexpr std::string_view instance_id = "i-0123456789abcdef0";
constexpr std::string_view local_ipv4 = "10.1.2.3";
constexpr std::string_view mac = "0e:12:34:56:78:9a";

using Outcome = std::variant<HttpResponse, TransportError>;
using Handler = std::function<Outcome(const HttpRequest&)>;

HttpResponse response(int status, std::string_view body, std::vector<HttpHeader> headers = {}) {
    HttpResponse answer;
    answer.status = status;
    answer.headers = std::move(headers);
    answer.body.assign(body.begin(), body.end());
    return answer;
}

std::vector<std::uint8_t> kms_bytes(int call, std::size_t count) {
    std::vector<std::uint8_t> bytes(count);
    for (std::size_t i = 0; i < count; ++i) {
        bytes[i] = static_cast<std::uint8_t>((call * 31 + static_cast<int>(i) * 7) % 251 + 1);
    }
    return bytes;
}

std::string signature_text() {
    return "c2lnbmF0dXJlLWJ5dGVzLWZvci1lYzJzZWVkLXRlc3Rz\nbW9yZS1ieXRlcw==";
}

// An IMDS and a KMS that answer as AWS does on a good day.
struct FakeAws {
    int kms_calls = 0;
    std::vector<std::string> seen;  // "METHOD target"

    Outcome operator()(const HttpRequest& request) {
        seen.push_back(request.method + " " + request.target);

        if (request.target == "/latest/api/token") {
            return response(200, token_value);
        }
        const std::map<std::string, std::string> items{
            {"/latest/meta-data/instance-id", std::string(instance_id)},
            {"/latest/meta-data/local-ipv4", std::string(local_ipv4)},
            {"/latest/meta-data/mac", std::string(mac)},
            {"/latest/meta-data/placement/region", "us-east-1"},
            {"/latest/dynamic/instance-identity/signature", signature_text()},
            {"/latest/meta-data/iam/security-credentials/", "seeder-role"},
            {"/latest/meta-data/iam/security-credentials/seeder-role",
             R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAIOSFODNN7EXAMPLE",)"
             R"("SecretAccessKey":")" +
                 std::string(secret_key) + R"(","Token":")" + std::string(session_token) +
                 R"(","Expiration":"2099-01-01T00:00:00Z"})"},
        };
        if (const auto it = items.find(request.target); it != items.end()) {
            return response(200, it->second);
        }
        if (request.method == "POST" && request.target == "/") {
            return kms(request);
        }
        return response(404, "Not Found");
    }

    Outcome kms(const HttpRequest& request) {
        ++kms_calls;
        const auto body = boost::json::parse(request.body).as_object();
        const auto count = static_cast<std::size_t>(body.at("NumberOfBytes").as_int64());
        const auto bytes = kms_bytes(kms_calls, count);
        return response(
            200, R"({"Plaintext":")" + Botan::base64_encode(bytes.data(), bytes.size()) + "\"}",
            {{"x-amzn-RequestId", "req-" + std::to_string(kms_calls), false}});
    }
};

// Answers each request at once, from a handler.
class FakeTransport final : public transport::Transport {
  public:
    explicit FakeTransport(Handler handler) : m_handler(std::move(handler)) {}

    void submit(HttpRequest request) override {
        m_ready.push_back(transport::Completion{request.id, m_handler(request), 1, false});
    }
    std::vector<transport::Completion> wait(MonoTime) override {
        return std::exchange(m_ready, {});
    }
    std::size_t in_flight() const override { return m_ready.size(); }
    std::string_view name() const override { return "fake"; }

  private:
    Handler m_handler;
    std::vector<transport::Completion> m_ready;
};

using ec2seed::testing::TempDir;

struct Run {
    int status = -1;
    std::string out;
    std::string err;
    int transports_made = 0;
};

using SinkFactory =
    std::function<Result<std::unique_ptr<transport::EntropySink>>(const transport::SinkSpec&)>;

Run run(std::vector<std::string> args, Handler handler, bool journal = false,
        std::map<std::string, std::string> env = {}, SinkFactory sink_factory = {}) {
    Run result;
    std::ostringstream out;
    std::ostringstream err;

    RunContext context;
    context.env = [env](std::string_view name) -> std::optional<std::string> {
        const auto it = env.find(std::string(name));
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    context.out = &out;
    context.err = &err;
    context.journal = journal;
    context.make_transport =
        [&](const Options&,
            const transport::MonotonicClock&) -> Result<std::unique_ptr<transport::Transport>> {
        ++result.transports_made;
        return std::unique_ptr<transport::Transport>(std::make_unique<FakeTransport>(handler));
    };
    if (sink_factory) {
        context.make_sink = sink_factory;
    } else {
        context.make_sink = [](const transport::SinkSpec& spec) {
            // Never the kernel's pool from a test.
            EXPECT_NE(spec.kind, transport::SinkKind::kernel);
            EXPECT_NE(spec.kind, transport::SinkKind::urandom);
            return transport::make_sink(spec);
        };
    }

    result.status = run_command(args, context);
    result.out = out.str();
    result.err = err.str();
    return result;
}

std::string sha1_hex(std::string_view item) {
    auto hash = Botan::HashFunction::create_or_throw("SHA-1");
    hash->update(reinterpret_cast<const std::uint8_t*>(item.data()), item.size());
    return Botan::hex_encode(hash->final(), false);
}

std::vector<boost::json::object> json_lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<boost::json::object> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(boost::json::parse(line).as_object());
    }
    return lines;
}

void expect_no_secret(const std::string& text) {
    for (const auto secret : {token_value, secret_key, session_token}) {
        EXPECT_EQ(text.find(secret), std::string::npos) << secret;
    }
}

TEST(Run, CompleteRunExitsZeroWithTheJsonReport) {
    FakeAws aws;
    const auto result =
        run({"--sink", "dry-run", "--report", "json", "--kms-bytes", "2048"}, std::ref(aws));

    EXPECT_EQ(result.status, 0) << result.err << result.out;
    const auto report = boost::json::parse(result.out).as_object();
    EXPECT_EQ(report.at("outcome").as_string(), "complete");
    EXPECT_EQ(report.at("transport").as_string(), "fake");
    EXPECT_EQ(report.at("sink").as_string(), "dry-run");
    EXPECT_EQ(report.at("region").as_string(), "us-east-1");
    EXPECT_FALSE(report.contains("kernel"));
    EXPECT_EQ(report.at("kms").as_object().at("calls").as_int64(), 2);
    EXPECT_EQ(report.at("kms").as_object().at("bytes").to_number<int>(), 2048);
    EXPECT_EQ(report.at("kms").as_object().at("request_ids").as_array(),
              (boost::json::array{"req-1", "req-2"}));
    EXPECT_TRUE(report.at("errors").as_array().empty());
    EXPECT_EQ(report.at("warnings").as_array().size(), 1u);

    std::map<std::string, int> credited;
    for (const auto& source : report.at("sources").as_array()) {
        credited[std::string(source.at("source").as_string())] +=
            source.at("credit_bits").to_number<int>();
        EXPECT_TRUE(source.at("applied").as_bool());
    }
    EXPECT_EQ(credited, (std::map<std::string, int>{{"imds/instance-id", 0},
                                                    {"imds/local-ipv4", 0},
                                                    {"imds/mac", 24},
                                                    {"imds/signature", 0},
                                                    {"kms/generate-random", 2048 * 8}}));
    EXPECT_EQ(result.transports_made, 1);
    expect_no_secret(result.out + result.err);
}

TEST(Run, FileSinkReceivesTheExactBytes) {
    FakeAws aws;
    const TempDir dir;
    const std::string path = dir.file("entropy.jsonl");

    const auto result = run({"--sink", "file:" + path, "--kms-bytes", "16"}, std::ref(aws));

    ASSERT_EQ(result.status, 0) << result.err;
    std::map<std::string, std::pair<std::string, std::int64_t>> added;
    for (const auto& line : json_lines(path)) {
        added[std::string(line.at("source").as_string())] = {
            std::string(line.at("bytes_hex").as_string()), line.at("credit_bits").as_int64()};
    }
    // Each item whitened with SHA-1 as served, trimmed; the signature decoded first.
    EXPECT_EQ(added["imds/instance-id"], std::make_pair(sha1_hex(instance_id), std::int64_t{0}));
    EXPECT_EQ(added["imds/local-ipv4"], std::make_pair(sha1_hex(local_ipv4), std::int64_t{0}));
    EXPECT_EQ(added["imds/mac"], std::make_pair(sha1_hex(mac), std::int64_t{24}));
    const auto signature =
        Botan::base64_decode("c2lnbmF0dXJlLWJ5dGVzLWZvci1lYzJzZWVkLXRlc3RzbW9yZS1ieXRlcw==");
    EXPECT_EQ(added["imds/signature"].first,
              sha1_hex({reinterpret_cast<const char*>(signature.data()), signature.size()}));
    const auto kms = kms_bytes(1, 16);
    EXPECT_EQ(added["kms/generate-random"],
              std::make_pair(Botan::hex_encode(kms.data(), kms.size(), false), std::int64_t{128}));
    EXPECT_NE(result.out.find("warning: sink file: entropy was written to disk"), std::string::npos)
        << result.out;
}

TEST(Run, PartialWhenKmsRefusesExitsThree) {
    FakeAws aws;
    const auto handler = [&aws](const HttpRequest& request) -> Outcome {
        if (request.method == "POST") {
            return response(400, R"({"__type":"AccessDeniedException","message":"denied"})");
        }
        return aws(request);
    };

    const auto result = run({"--sink", "dry-run"}, handler);

    EXPECT_EQ(result.status, 3) << result.err << result.out;
    EXPECT_NE(result.out.find("outcome: partial\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("error: "), std::string::npos) << result.out;
}

TEST(Run, FailedWhenImdsRefusesExitsOne) {
    const auto refused = [](const HttpRequest&) -> Outcome {
        return TransportError::connection_refused;
    };

    const auto result =
        run({"--sink", "dry-run", "--skip-kms", "--deadline", "0.5", "--report", "json"}, refused);

    EXPECT_EQ(result.status, 1) << result.err;
    const auto report = boost::json::parse(result.out).as_object();
    EXPECT_EQ(report.at("outcome").as_string(), "failed");
    EXPECT_FALSE(report.at("errors").as_array().empty());
}

TEST(Run, UsageErrorsExitTwoBeforeAnythingIsSent) {
    FakeAws aws;
    const TempDir dir;

    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--kms-bytes", "0"},
             {"--bogus"},
             {"--sink", "file:" + dir.file("missing/entropy.jsonl")},
             {"--skip-kms", "--skip-metadata"}}) {
        const auto result = run(args, std::ref(aws));

        EXPECT_EQ(result.status, exit_usage) << args[0];
        EXPECT_EQ(result.transports_made, 0) << args[0];
        EXPECT_TRUE(result.out.empty()) << result.out;
        EXPECT_EQ(result.err.rfind("ec2seed: error: ", 0), 0u) << result.err;
    }
    EXPECT_TRUE(aws.seen.empty());

    const auto env_error = run({"--sink", "dry-run"}, std::ref(aws), false,
                               {{"AWS_EC2_METADATA_V1_DISABLED", "maybe"}});
    EXPECT_EQ(env_error.status, exit_usage);
    EXPECT_NE(env_error.err.find("AWS_EC2_METADATA_V1_DISABLED"), std::string::npos);
    EXPECT_NE(env_error.err.find("Try 'ec2seed --help'."), std::string::npos);
}

TEST(Run, HelpAndVersionGoToStdout) {
    FakeAws aws;

    const auto help = run({"--help"}, std::ref(aws));
    const auto version = run({"--version"}, std::ref(aws));

    EXPECT_EQ(help.status, 0);
    EXPECT_EQ(help.out.rfind("Usage: ec2seed", 0), 0u);
    EXPECT_EQ(version.status, 0);
    EXPECT_EQ(version.out.rfind("ec2seed ", 0), 0u);
    EXPECT_EQ(help.transports_made + version.transports_made, 0);
}

TEST(Run, VerboseLogsEachRequestAndNoSecret) {
    FakeAws aws;

    const auto result = run({"--sink", "dry-run", "-v", "--kms-bytes", "8"}, std::ref(aws));

    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_NE(result.err.find("ec2seed: debug: PUT http://169.254.169.254:80/latest/api/token -> "
                              "200 in "),
              std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("GET http://169.254.169.254:80/latest/meta-data/mac -> 200"),
              std::string::npos);
    EXPECT_NE(result.err.find("POST https://kms.us-east-1.amazonaws.com:443/ -> 200"),
              std::string::npos);
    expect_no_secret(result.err + result.out);
}

TEST(Run, QuietLogsOnlyErrorsAndTheJournalGetsPrefixes) {
    FakeAws aws;
    const auto refused_kms = [&aws](const HttpRequest& request) -> Outcome {
        if (request.method == "POST") {
            return TransportError::tls_failure;
        }
        return aws(request);
    };

    const auto quiet = run({"--sink", "dry-run", "-q"}, refused_kms);
    const auto journal = run({"--sink", "dry-run", "-v"}, refused_kms, true);

    ASSERT_EQ(quiet.status, 3);
    std::istringstream quiet_lines(quiet.err);
    for (std::string line; std::getline(quiet_lines, line);) {
        EXPECT_EQ(line.rfind("ec2seed: error: ", 0), 0u) << line;
    }
    std::istringstream journal_lines(journal.err);
    int lines = 0;
    for (std::string line; std::getline(journal_lines, line); ++lines) {
        ASSERT_GE(line.size(), 3u);
        EXPECT_TRUE(line.starts_with("<3>") || line.starts_with("<4>") || line.starts_with("<6>") ||
                    line.starts_with("<7>"))
            << line;
    }
    EXPECT_GT(lines, 0);
    EXPECT_NE(journal.err.find("<7>PUT http://"), std::string::npos) << journal.err;
}

TEST(Run, SkipMetadataAddsOnlyKmsBytes) {
    FakeAws aws;

    const auto result =
        run({"--sink", "dry-run", "--skip-metadata", "--report", "json", "--kms-bytes", "32"},
            std::ref(aws));

    ASSERT_EQ(result.status, 0) << result.err;
    const auto report = boost::json::parse(result.out).as_object();
    for (const auto& source : report.at("sources").as_array()) {
        EXPECT_EQ(source.at("source").as_string(), "kms/generate-random");
    }
}

TEST(Run, RecordWritesAPrivateTranscriptThatReplaysAndHoldsNoSecret) {
    FakeAws aws;
    const TempDir dir;
    const std::string path = dir.file("run.transcript");
    const mode_t old_umask = ::umask(0);

    const auto result =
        run({"--sink", "dry-run", "--record", path, "--kms-bytes", "16"}, std::ref(aws));
    ::umask(old_umask);

    ASSERT_EQ(result.status, 0) << result.err;
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0600u);

    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("ec2seed-transcript 1\n"), std::string::npos);
    expect_no_secret(text);
    for (const auto value : {instance_id, local_ipv4, mac}) {
        EXPECT_EQ(text.find(value), std::string::npos) << value;
    }
    const auto kms = kms_bytes(1, 16);
    EXPECT_EQ(text.find(Botan::hex_encode(kms.data(), kms.size(), false)), std::string::npos);
    EXPECT_EQ(text.find(Botan::base64_encode(kms.data(), kms.size())), std::string::npos);

    const auto parsed = transcript::parse(text);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    const auto difference =
        transcript::first_difference(transcript::strip_comments(text), transcript::replay(*parsed));
    EXPECT_FALSE(difference.has_value()) << *difference;
}

TEST(Run, UnwritableRecordIsAUsageError) {
    FakeAws aws;
    const TempDir dir;

    const auto result =
        run({"--sink", "dry-run", "--record", dir.file("missing/run.transcript")}, std::ref(aws));

    EXPECT_EQ(result.status, exit_usage);
    EXPECT_EQ(result.transports_made, 0);
    EXPECT_NE(result.err.find("--record: open "), std::string::npos) << result.err;
}

// The kernel's ioctls as a pool that says yes (or EPERM) and counts what it got.
struct FakePool final : transport::RandomDeviceCalls {
    int add_error = 0;
    bool ready = false;
    int bits = 5;

    int add_entropy(std::span<const std::uint8_t> info) override {
        if (add_error != 0) {
            return add_error;
        }
        int credit = 0;
        std::memcpy(&credit, info.data(), sizeof(int));
        bits = std::min(256, bits + credit);
        ready = ready || bits >= 256;
        return 0;
    }
    int entropy_count(int& out) override {
        out = bits;
        return 0;
    }
    int reseed_crng() override { return 0; }
    int probe_crng() override { return ready ? 0 : EAGAIN; }
};

SinkFactory fake_kernel(int add_error) {
    return [add_error](
               const transport::SinkSpec& spec) -> Result<std::unique_ptr<transport::EntropySink>> {
        EXPECT_EQ(spec.kind, transport::SinkKind::kernel);
        auto pool = std::make_unique<FakePool>();
        pool->add_error = add_error;
        return transport::make_kernel_sink(std::move(pool));
    };
}

TEST(Run, KernelSinkReportsThePoolBeforeAndAfter) {
    FakeAws aws;

    const auto result =
        run({"--report", "json", "--kms-bytes", "64"}, std::ref(aws), false, {}, fake_kernel(0));

    ASSERT_EQ(result.status, 0) << result.err;
    const auto report = boost::json::parse(result.out).as_object();
    EXPECT_EQ(report.at("sink").as_string(), "kernel");
    const auto& kernel = report.at("kernel").as_object();
    EXPECT_EQ(kernel.at("entropy_count_before").as_int64(), 5);
    EXPECT_EQ(kernel.at("entropy_count_after").as_int64(), 256);
    EXPECT_EQ(kernel.at("crng_ready_before").as_bool(), false);
    EXPECT_EQ(kernel.at("crng_ready_after").as_bool(), true);
    EXPECT_EQ(kernel.at("reseeded").as_bool(), false);
}

TEST(Run, KernelSinkWithoutPrivilegeFailsSayingWhy) {
    FakeAws aws;

    const auto result = run({"--report", "json"}, std::ref(aws), false, {}, fake_kernel(EPERM));

    EXPECT_EQ(result.status, 1) << result.out;
    const auto report = boost::json::parse(result.out).as_object();
    EXPECT_EQ(report.at("outcome").as_string(), "failed");
    EXPECT_NE(result.err.find("root (CAP_SYS_ADMIN)"), std::string::npos) << result.err;
    for (const auto& source : report.at("sources").as_array()) {
        EXPECT_FALSE(source.at("applied").as_bool());
    }
}

TEST(Run, JitterSeedsDiffer) {
    EXPECT_NE(jitter_seed_from_clock(), jitter_seed_from_clock());
}

}  // namespace
}  // namespace ec2seed::app
