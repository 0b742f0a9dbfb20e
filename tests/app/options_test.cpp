// The command line and the environment: every flag and variable, every refusal
// (exit 2) with a message naming the flag or variable.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ec2seed/app/options.h"
#include "ec2seed/core/entropy.h"

namespace ec2seed::app {
namespace {

using Env = std::map<std::string, std::string>;

Environment environment(Env values) {
    return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
        const auto it = values.find(std::string(name));
        if (it == values.end() || it->second.empty()) {
            return std::nullopt;
        }
        return it->second;
    };
}

Result<CommandLine> parse(std::vector<std::string> args, Env env = {}) {
    return parse_command_line(args, environment(std::move(env)));
}

Options options(std::vector<std::string> args, Env env = {}) {
    auto parsed = parse(std::move(args), std::move(env));
    EXPECT_TRUE(parsed.has_value()) << parsed.error().message;
    return parsed ? parsed->options : Options{};
}

// The refusal's message, which must name `flag`.
std::string refusal(std::vector<std::string> args, const std::string& flag, Env env = {}) {
    auto parsed = parse(args, std::move(env));
    if (parsed.has_value()) {
        ADD_FAILURE() << "accepted: " << (args.empty() ? "" : args.back());
        return {};
    }
    EXPECT_EQ(parsed.error().code, ErrorCode::bad_config);
    EXPECT_EQ(parsed.error().message.rfind(flag, 0), 0u)
        << "message does not start with " << flag << ": " << parsed.error().message;
    return parsed.error().message;
}

TEST(Options, DefaultsWithAnEmptyEnvironment) {
    const Options o = options({});

    EXPECT_EQ(o.seeder.imds, (Endpoint{Scheme::http, "169.254.169.254", 80}));
    EXPECT_FALSE(o.seeder.kms.has_value());
    EXPECT_FALSE(o.seeder.region.has_value());
    EXPECT_FALSE(o.seeder.credentials.has_value());
    EXPECT_EQ(o.seeder.imds_v1, ImdsV1Policy::allow);
    EXPECT_EQ(o.seeder.kms_bytes, 1024u);
    EXPECT_EQ(o.seeder.overall_deadline, MonoTime{30000});
    EXPECT_EQ(o.seeder.imds_token_ttl_seconds, 21600u);
    EXPECT_EQ(o.seeder.hash, "SHA-1");
    EXPECT_EQ(o.seeder.credits.bits, CreditPolicy::defaults().bits);
    EXPECT_FALSE(o.seeder.skip_metadata);
    EXPECT_FALSE(o.seeder.skip_kms);
    EXPECT_EQ(o.sink, (transport::SinkSpec{transport::SinkKind::kernel, ""}));
    EXPECT_EQ(o.transport, EC2SEED_WITH_CURL ? TransportKind::curl : TransportKind::native);
    EXPECT_EQ(o.report, ReportFormat::text);
    EXPECT_EQ(o.verbosity, Verbosity::normal);
    EXPECT_FALSE(o.record_path.has_value());
    EXPECT_FALSE(o.ca_bundle.has_value());
}

TEST(Options, HelpAndVersion) {
    EXPECT_EQ(parse({"--help"})->action, Action::help);
    EXPECT_EQ(parse({"-h"})->action, Action::help);
    EXPECT_EQ(parse({"--version"})->action, Action::version);
    EXPECT_EQ(parse({"--sink", "kernel"})->action, Action::run);
    // A bad flag is refused even beside --help.
    EXPECT_FALSE(parse({"--help", "--nope"}).has_value());
}

TEST(Options, HelpWarnsAboutTheFileSink) {
    const std::string help = usage_text();

    EXPECT_NE(help.find("WARNING: this writes entropy to disk"), std::string::npos);
    for (const char* flag : {"--imds-endpoint", "--kms-endpoint",   "--region",
                             "--ca-bundle",     "--kms-bytes",      "--imds-v1",
                             "--sink",          "--transport",      "--deadline",
                             "--credit ",       "--credit-profile", "--report",
                             "--record",        "--skip-metadata",  "--skip-kms",
                             "--verbose",       "--quiet",          "--version",
                             "--help",          "--imds-token-ttl", "--custom-key-store-id",
                             "--hash"}) {
        EXPECT_NE(help.find(flag), std::string::npos) << flag;
    }
}

TEST(Options, EveryValueFlag) {
    const Options o = options({"--imds-endpoint",
                               "http://127.0.0.1:8080",
                               "--kms-endpoint=https://127.0.0.1:8443",
                               "--region",
                               "eu-west-2",
                               "--kms-bytes",
                               "4096",
                               "--imds-v1",
                               "never",
                               "--sink",
                               "file:/tmp/out.jsonl",
                               "--transport",
                               "native",
                               "--deadline",
                               "2.5",
                               "--credit",
                               "imds/instance-id=8",
                               "--credit-profile",
                               "none",
                               "--report",
                               "json",
                               "--record",
                               "/tmp/run.txt",
                               "--imds-token-ttl",
                               "60",
                               "--custom-key-store-id",
                               "cks-1234567890abcdef0",
                               "--hash",
                               "SHA-256",
                               "-v"});

    EXPECT_EQ(o.seeder.imds, (Endpoint{Scheme::http, "127.0.0.1", 8080}));
    EXPECT_EQ(o.seeder.kms, (Endpoint{Scheme::https, "127.0.0.1", 8443}));
    EXPECT_EQ(o.seeder.region, "eu-west-2");
    EXPECT_EQ(o.seeder.kms_bytes, 4096u);
    EXPECT_EQ(o.seeder.imds_v1, ImdsV1Policy::never);
    EXPECT_EQ(o.sink, (transport::SinkSpec{transport::SinkKind::file, "/tmp/out.jsonl"}));
    EXPECT_EQ(o.transport, TransportKind::native);
    EXPECT_EQ(o.seeder.overall_deadline, MonoTime{2500});
    // --credit-profile none, then imds/instance-id=8 on top, whatever the order.
    EXPECT_EQ(o.seeder.credits.bits,
              (std::map<std::string, std::uint32_t>{{"imds/instance-id", 8}}));
    EXPECT_EQ(o.report, ReportFormat::json);
    EXPECT_EQ(o.record_path, "/tmp/run.txt");
    EXPECT_EQ(o.seeder.imds_token_ttl_seconds, 60u);
    EXPECT_EQ(o.seeder.custom_key_store_id, "cks-1234567890abcdef0");
    EXPECT_EQ(o.seeder.hash, "SHA-256");
    EXPECT_EQ(o.verbosity, Verbosity::verbose);
}

TEST(Options, Switches) {
    EXPECT_TRUE(options({"--skip-metadata"}).seeder.skip_metadata);
    EXPECT_TRUE(options({"--skip-kms"}).seeder.skip_kms);
    EXPECT_EQ(options({"--verbose"}).verbosity, Verbosity::verbose);
    EXPECT_EQ(options({"-q"}).verbosity, Verbosity::quiet);
    EXPECT_EQ(options({"--quiet"}).verbosity, Verbosity::quiet);
    EXPECT_EQ(options({"--sink", "urandom"}).sink.kind, transport::SinkKind::urandom);
    EXPECT_EQ(options({"--sink", "dry-run"}).sink.kind, transport::SinkKind::dry_run);
    EXPECT_EQ(options({"--imds-v1", "allow"}).seeder.imds_v1, ImdsV1Policy::allow);
    EXPECT_EQ(options({"--report", "text"}).report, ReportFormat::text);
    EXPECT_EQ(options({"--deadline", "1"}).seeder.overall_deadline, MonoTime{1000});
    EXPECT_EQ(options({"--deadline", "0.005"}).seeder.overall_deadline, MonoTime{5});
    EXPECT_EQ(options({"--kms-bytes", "1"}).seeder.kms_bytes, 1u);
    EXPECT_EQ(options({"--kms-bytes", "65536"}).seeder.kms_bytes, 65536u);
    EXPECT_EQ(options({"--credit-profile", "default"}).seeder.credits.bits,
              CreditPolicy::defaults().bits);
    EXPECT_EQ(options({"--ca-bundle", "/dev/null"}).ca_bundle, "/dev/null");
}

TEST(Options, CreditsEachMetadataSourceUpToTheDigestSize) {
    const Options o = options({"--credit", "imds/mac=160", "--credit", "imds/local-ipv4=0",
                               "--credit", "imds/signature=1", "--credit", "imds/instance-id=2"});

    EXPECT_EQ(o.seeder.credits.bits, (std::map<std::string, std::uint32_t>{{"imds/instance-id", 2},
                                                                           {"imds/local-ipv4", 0},
                                                                           {"imds/mac", 160},
                                                                           {"imds/signature", 1}}));
    EXPECT_EQ(options({"--hash", "SHA-256", "--credit", "imds/mac=256"})
                  .seeder.credits.bits.at("imds/mac"),
              256u);
}

TEST(Options, CurlWhenBuiltIn) {
    if (!EC2SEED_WITH_CURL) {
        refusal({"--transport", "curl"}, "--transport");
        return;
    }
    EXPECT_EQ(options({"--transport", "curl"}).transport, TransportKind::curl);
}

TEST(Options, RefusesBadSyntax) {
    EXPECT_NE(refusal({"--bogus"}, "--bogus").find("unknown flag"), std::string::npos);
    EXPECT_NE(refusal({"-x"}, "-x").find("unknown flag"), std::string::npos);
    EXPECT_NE(refusal({"positional"}, "'positional'").find("flags only"), std::string::npos);
    EXPECT_NE(refusal({"--"}, "'--'").find("flags only"), std::string::npos);
    EXPECT_NE(refusal({"--region"}, "--region").find("needs a value"), std::string::npos);
    EXPECT_NE(refusal({"--skip-kms=yes"}, "--skip-kms").find("takes no value"), std::string::npos);
    EXPECT_NE(
        refusal({"--region", "us-east-1", "--region=us-west-2"}, "--region").find("more than once"),
        std::string::npos);
    EXPECT_NE(refusal({"-v", "-q"}, "--verbose").find("--quiet"), std::string::npos);
    EXPECT_NE(refusal({"--skip-metadata", "--skip-kms"}, "--skip-metadata").find("nothing to do"),
              std::string::npos);
}

TEST(Options, RefusesBadValuesNamingTheFlagAndWhatIsAccepted) {
    const struct {
        std::vector<std::string> args;
        const char* flag;
        const char* accepted;
    } cases[] = {
        {{"--imds-endpoint", "169.254.169.254"}, "--imds-endpoint", "http://HOST"},
        {{"--imds-endpoint", "https://127.0.0.1"}, "--imds-endpoint", "http:// only"},
        {{"--imds-endpoint", "http://127.0.0.1/latest"}, "--imds-endpoint", "path"},
        {{"--kms-endpoint", "http://127.0.0.1"}, "--kms-endpoint", "https:// only"},
        {{"--kms-endpoint", "https://u@h"}, "--kms-endpoint", "user information"},
        {{"--region", "US East"}, "--region", "such as us-east-1"},
        {{"--region", ""}, "--region", "such as us-east-1"},
        {{"--ca-bundle", "/nonexistent/ca.pem"}, "--ca-bundle", "readable file"},
        {{"--ca-bundle", ""}, "--ca-bundle", "readable file"},
        {{"--kms-bytes", "0"}, "--kms-bytes", "1..65536"},
        {{"--kms-bytes", "65537"}, "--kms-bytes", "1..65536"},
        {{"--kms-bytes", "-1"}, "--kms-bytes", "1..65536"},
        {{"--kms-bytes", "1k"}, "--kms-bytes", "1..65536"},
        {{"--imds-v1", "sometimes"}, "--imds-v1", "allow or never"},
        {{"--sink", "stdout"}, "--sink", "kernel, urandom, dry-run, file:PATH"},
        {{"--sink", "file:"}, "--sink", "file:PATH"},
        {{"--transport", "wget"}, "--transport", "native"},
        {{"--deadline", "0"}, "--deadline", "more than 0"},
        {{"--deadline", "3600.001"}, "--deadline", "at most 3600"},
        {{"--deadline", "1.2345"}, "--deadline", "seconds"},
        {{"--deadline", "soon"}, "--deadline", "seconds"},
        {{"--deadline", "-5"}, "--deadline", "seconds"},
        {{"--deadline", "1."}, "--deadline", "seconds"},
        {{"--credit", "imds/mac"}, "--credit", "SOURCE=BITS"},
        {{"--credit", "kms/generate-random=8"}, "--credit", "imds/signature"},
        {{"--credit", "mac=8"}, "--credit", "imds/mac"},
        {{"--credit", "imds/mac=161"}, "--credit", "0..160"},
        {{"--credit", "imds/mac=-1"}, "--credit", "0..160"},
        {{"--credit", "imds/mac="}, "--credit", "0..160"},
        {{"--hash", "SHA-256", "--credit", "imds/mac=257"}, "--credit", "0..256"},
        {{"--credit-profile", "all"}, "--credit-profile", "default or none"},
        {{"--report", "xml"}, "--report", "text or json"},
        {{"--record", ""}, "--record", "file name"},
        {{"--imds-token-ttl", "0"}, "--imds-token-ttl", "1..21600"},
        {{"--imds-token-ttl", "21601"}, "--imds-token-ttl", "1..21600"},
        {{"--custom-key-store-id", ""}, "--custom-key-store-id", "1..64"},
        {{"--custom-key-store-id", std::string(65, 'a')}, "--custom-key-store-id", "1..64"},
        {{"--custom-key-store-id", "cks 1"}, "--custom-key-store-id", "1..64"},
        {{"--hash", "NotAHash"}, "--hash", "SHA-256"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.args.back());
        const std::string message = refusal(c.args, c.flag);
        EXPECT_NE(message.find(c.accepted), std::string::npos) << message;
    }
}

TEST(Environment, ImdsEndpointAndMode) {
    EXPECT_EQ(
        options({}, {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.2:81"}}).seeder.imds,
        (Endpoint{Scheme::http, "127.0.0.2", 81}));
    EXPECT_EQ(options({}, {{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}}).seeder.imds,
              (Endpoint{Scheme::http, "fd00:ec2::254", 80}));
    EXPECT_EQ(options({}, {{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv4"}}).seeder.imds,
              (Endpoint{Scheme::http, "169.254.169.254", 80}));
    // The endpoint variable wins over the mode; the flag wins over both.
    EXPECT_EQ(options({}, {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.3"},
                           {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}})
                  .seeder.imds.host,
              "127.0.0.3");
    EXPECT_EQ(options({"--imds-endpoint", "http://127.0.0.4"},
                      {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.3"},
                       {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}})
                  .seeder.imds.host,
              "127.0.0.4");
}

TEST(Environment, V1Disabled) {
    EXPECT_EQ(options({}, {{"AWS_EC2_METADATA_V1_DISABLED", "true"}}).seeder.imds_v1,
              ImdsV1Policy::never);
    EXPECT_EQ(options({}, {{"AWS_EC2_METADATA_V1_DISABLED", "TRUE"}}).seeder.imds_v1,
              ImdsV1Policy::never);
    EXPECT_EQ(options({}, {{"AWS_EC2_METADATA_V1_DISABLED", "false"}}).seeder.imds_v1,
              ImdsV1Policy::allow);
    EXPECT_EQ(
        options({"--imds-v1", "allow"}, {{"AWS_EC2_METADATA_V1_DISABLED", "true"}}).seeder.imds_v1,
        ImdsV1Policy::allow);
}

TEST(Environment, Region) {
    EXPECT_EQ(options({}, {{"AWS_REGION", "eu-central-1"}}).seeder.region, "eu-central-1");
    EXPECT_EQ(options({}, {{"AWS_DEFAULT_REGION", "ap-south-1"}}).seeder.region, "ap-south-1");
    EXPECT_EQ(options({}, {{"AWS_REGION", "eu-central-1"}, {"AWS_DEFAULT_REGION", "ap-south-1"}})
                  .seeder.region,
              "eu-central-1");
    EXPECT_EQ(options({"--region", "us-west-1"}, {{"AWS_REGION", "eu-central-1"}}).seeder.region,
              "us-west-1");
}

TEST(Environment, Credentials) {
    const Options o = options({}, {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                   {"AWS_SECRET_ACCESS_KEY", "secret-key"},
                                   {"AWS_SESSION_TOKEN", "session-token"}});

    ASSERT_TRUE(o.seeder.credentials.has_value());
    EXPECT_EQ(o.seeder.credentials->access_key_id, "AKIDEXAMPLE");
    EXPECT_EQ(o.seeder.credentials->secret_access_key.reveal(), "secret-key");
    EXPECT_EQ(o.seeder.credentials->session_token.reveal(), "session-token");

    const Options long_term = options(
        {}, {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY", "secret-key"}});
    ASSERT_TRUE(long_term.seeder.credentials.has_value());
    EXPECT_TRUE(long_term.seeder.credentials->session_token.empty());
}

TEST(Environment, RefusalsNameTheVariableAndNeverTheSecret) {
    EXPECT_NE(refusal({}, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
                      {{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "dual"}})
                  .find("IPv4 or IPv6"),
              std::string::npos);
    EXPECT_NE(refusal({}, "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                      {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "https://127.0.0.1"}})
                  .find("http:// only"),
              std::string::npos);
    EXPECT_NE(refusal({}, "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                      {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "127.0.0.1"}})
                  .find("http://HOST"),
              std::string::npos);
    EXPECT_NE(refusal({}, "AWS_EC2_METADATA_V1_DISABLED", {{"AWS_EC2_METADATA_V1_DISABLED", "yes"}})
                  .find("true or false"),
              std::string::npos);
    refusal({}, "AWS_REGION", {{"AWS_REGION", "Not A Region"}});
    refusal({}, "AWS_DEFAULT_REGION", {{"AWS_DEFAULT_REGION", "nope!"}});

    const std::string missing_secret =
        refusal({}, "AWS_SECRET_ACCESS_KEY", {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}});
    EXPECT_NE(missing_secret.find("AWS_ACCESS_KEY_ID"), std::string::npos);
    const std::string missing_id =
        refusal({}, "AWS_ACCESS_KEY_ID", {{"AWS_SECRET_ACCESS_KEY", "hunter2-secret"}});
    EXPECT_EQ(missing_id.find("hunter2-secret"), std::string::npos);
    const std::string lone_token =
        refusal({}, "AWS_SESSION_TOKEN", {{"AWS_SESSION_TOKEN", "hunter2-token"}});
    EXPECT_EQ(lone_token.find("hunter2-token"), std::string::npos);
}

}  // namespace
}  // namespace ec2seed::app
