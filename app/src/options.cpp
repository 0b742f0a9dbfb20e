// Command line and environment resolution for the ec2seed command.
#include "ec2seed/app/options.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include <botan/hash.h>

#include "ec2seed/app/url.h"
#include "ec2seed/core/entropy.h"
#include "ec2seed/core/imds.h"
#include "ec2seed/core/whiten.h"

namespace ec2seed::app {
namespace {

struct FlagSpec {
    std::string_view name;
    bool takes_value;
    bool repeatable;
};

constexpr std::array<FlagSpec, 24> flag_specs{{
    {"--imds-endpoint", true, false},
    {"--kms-endpoint", true, false},
    {"--region", true, false},
    {"--ca-bundle", true, false},
    {"--kms-bytes", true, false},
    {"--imds-v1", true, false},
    {"--sink", true, false},
    {"--transport", true, false},
    {"--deadline", true, false},
    {"--credit", true, true},
    {"--credit-profile", true, false},
    {"--report", true, false},
    {"--record", true, false},
    {"--imds-token-ttl", true, false},
    {"--custom-key-store-id", true, false},
    {"--hash", true, false},
    {"--skip-metadata", false, false},
    {"--skip-kms", false, false},
    {"--verbose", false, false},
    {"--quiet", false, false},
    {"--version", false, false},
    {"--help", false, false},
    {"-v", false, false},
    {"-q", false, false},
}};

constexpr std::array<const char*, 4> metadata_sources{source::instance_id, source::local_ipv4,
                                                      source::mac, source::signature};

// Largest --kms-bytes: 64 GenerateRandom rounds, far above what any pool needs.
constexpr std::uint64_t max_kms_bytes = 65536;
// Largest --deadline: a boot-time agent that waits an hour is broken.
constexpr std::uint64_t max_deadline_ms = 3600 * 1000;

Error usage(std::string_view what, std::string_view why) {
    return Error{ErrorCode::bad_config, std::string(what) + ": " + std::string(why)};
}

std::string quoted(std::string_view value) {
    return "'" + std::string(value) + "'";
}

// The flags as given: the last value of each single flag, every --credit.
struct GivenFlags {
    std::map<std::string, std::string, std::less<>> values;
    std::vector<std::string> credits;
    std::map<std::string, bool, std::less<>> switches;

    std::optional<std::string> value(std::string_view name) const {
        const auto it = values.find(name);
        if (it == values.end()) {
            return std::nullopt;
        }
        return it->second;
    }
    bool on(std::string_view name) const { return switches.contains(name); }
};

const FlagSpec* find_flag(std::string_view name) {
    for (const auto& spec : flag_specs) {
        if (spec.name == name) {
            return &spec;
        }
    }
    return nullptr;
}

std::string_view canonical(std::string_view name) {
    if (name == "-v") {
        return "--verbose";
    }
    if (name == "-q") {
        return "--quiet";
    }
    if (name == "-h") {
        return "--help";
    }
    return name;
}

Result<GivenFlags> scan(std::span<const std::string> args) {
    GivenFlags given;

    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (!arg.starts_with('-') || arg == "-" || arg == "--") {
            return usage(quoted(arg),
                         "unexpected argument; ec2seed takes flags only "
                         "(see --help)");
        }

        // --name=value or --name value.
        std::string_view name = arg;
        std::optional<std::string_view> inline_value;
        if (const std::size_t eq = arg.find('=');
            eq != std::string_view::npos && arg.starts_with("--")) {
            name = arg.substr(0, eq);
            inline_value = arg.substr(eq + 1);
        }
        name = canonical(name);
        const FlagSpec* spec = find_flag(name);
        if (spec == nullptr) {
            return usage(name, "unknown flag (see --help)");
        }

        if (!spec->takes_value) {
            if (inline_value) {
                return usage(name, "takes no value");
            }
            given.switches[std::string(name)] = true;
            continue;
        }

        std::string value;
        if (inline_value) {
            value = std::string(*inline_value);
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            return usage(name, "needs a value (see --help)");
        }

        if (spec->repeatable) {
            given.credits.push_back(std::move(value));
        } else if (!given.values.emplace(std::string(name), std::move(value)).second) {
            return usage(name, "given more than once");
        }
    }
    return given;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// "30", "2.5", "0.25": milliseconds, at most three decimals.
std::optional<std::uint64_t> parse_seconds_as_ms(std::string_view text) {
    const std::size_t dot = text.find('.');
    const auto whole = parse_decimal(text.substr(0, dot));
    if (!whole || *whole > max_deadline_ms) {
        return std::nullopt;
    }
    std::uint64_t ms = *whole * 1000;
    if (dot != std::string_view::npos) {
        const std::string_view fraction = text.substr(dot + 1);
        const auto digits = parse_decimal(fraction);
        if (!digits || fraction.size() > 3) {
            return std::nullopt;
        }
        std::uint64_t scaled = *digits;
        for (std::size_t i = fraction.size(); i < 3; ++i) {
            scaled *= 10;
        }
        ms += scaled;
    }
    return ms;
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

Status resolve_imds(const GivenFlags& given, const Environment& env, SeederConfig& config) {
    constexpr std::string_view endpoint_var = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
    constexpr std::string_view mode_var = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
    constexpr std::string_view v1_var = "AWS_EC2_METADATA_V1_DISABLED";

    // Endpoint: flag, then the SDKs' endpoint variable, then their mode variable.
    std::optional<std::string> url = given.value("--imds-endpoint");
    std::string origin = "--imds-endpoint";
    if (!url) {
        url = env(endpoint_var);
        origin = endpoint_var;
    }
    if (!url) {
        if (const auto mode = env(mode_var)) {
            const std::string lower = lowercase(*mode);
            if (lower == "ipv6") {
                // EC2 user guide: the IPv6 IMDS endpoint is fd00:ec2::254.
                url = "http://[fd00:ec2::254]";
            } else if (lower != "ipv4") {
                return usage(mode_var, quoted(*mode) + " is not accepted; expected IPv4 or IPv6");
            }
        }
    }
    if (url) {
        auto endpoint = parse_endpoint_url(*url);
        if (!endpoint) {
            return usage(origin, endpoint.error().message);
        }
        // Phase 1 runs before any TLS library: IMDS is plain HTTP.
        if (endpoint->scheme != Scheme::http) {
            return usage(origin, quoted(*url) +
                                     " is not accepted; IMDS is reached over "
                                     "http:// only");
        }
        config.imds = *endpoint;
    }

    // IMDSv1 policy: flag, then AWS_EC2_METADATA_V1_DISABLED.
    if (const auto policy = given.value("--imds-v1")) {
        if (*policy == "allow") {
            config.imds_v1 = ImdsV1Policy::allow;
        } else if (*policy == "never") {
            config.imds_v1 = ImdsV1Policy::never;
        } else {
            return usage("--imds-v1", quoted(*policy) +
                                          " is not accepted; expected allow or "
                                          "never");
        }
    } else if (const auto disabled = env(v1_var)) {
        const std::string lower = lowercase(*disabled);
        if (lower == "true") {
            config.imds_v1 = ImdsV1Policy::never;
        } else if (lower == "false") {
            config.imds_v1 = ImdsV1Policy::allow;
        } else {
            return usage(v1_var, quoted(*disabled) + " is not accepted; expected true or false");
        }
    }

    if (const auto ttl = given.value("--imds-token-ttl")) {
        // EC2 user guide: X-aws-ec2-metadata-token-ttl-seconds is 1..21600.
        const auto seconds = parse_decimal(*ttl);
        if (!seconds || *seconds < 1 || *seconds > 21600) {
            return usage("--imds-token-ttl",
                         quoted(*ttl) + " is not accepted; expected seconds, 1..21600");
        }
        config.imds_token_ttl_seconds = static_cast<std::uint32_t>(*seconds);
    }
    return ok();
}

Status resolve_kms(const GivenFlags& given, const Environment& env, SeederConfig& config) {
    if (const auto url = given.value("--kms-endpoint")) {
        auto endpoint = parse_endpoint_url(*url);
        if (!endpoint) {
            return usage("--kms-endpoint", endpoint.error().message);
        }
        // The request carries a SigV4 signature and the session token: never in clear.
        if (endpoint->scheme != Scheme::https) {
            return usage("--kms-endpoint", quoted(*url) +
                                               " is not accepted; KMS is reached "
                                               "over https:// only");
        }
        config.kms = *endpoint;
    }

    // Region: flag, then AWS_REGION, then AWS_DEFAULT_REGION; else IMDS tells.
    std::optional<std::string> region = given.value("--region");
    std::string origin = "--region";
    for (const std::string_view var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        if (!region) {
            region = env(var);
            origin = var;
        }
    }
    if (region) {
        auto parsed = imds::parse_region(*region);
        if (!parsed || *parsed != *region) {
            return usage(origin, quoted(*region) +
                                     " is not accepted; expected a region "
                                     "name such as us-east-1");
        }
        config.region = *region;
    }

    // Credentials: the SDKs' variables, or none (the instance role).
    const auto key_id = env("AWS_ACCESS_KEY_ID");
    const auto secret = env("AWS_SECRET_ACCESS_KEY");
    const auto session = env("AWS_SESSION_TOKEN");
    if (key_id.has_value() != secret.has_value()) {
        return usage(key_id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID",
                     std::string("is not set but ") +
                         (key_id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") +
                         " is; set both, or neither to use the instance role");
    }
    if (session && !key_id) {
        return usage("AWS_SESSION_TOKEN",
                     "is set without AWS_ACCESS_KEY_ID and "
                     "AWS_SECRET_ACCESS_KEY; set all three, or none");
    }
    if (key_id) {
        config.credentials =
            Credentials{*key_id, Secret(*secret), session ? Secret(*session) : Secret()};
    }

    if (const auto bytes = given.value("--kms-bytes")) {
        const auto count = parse_decimal(*bytes);
        if (!count || *count < 1 || *count > max_kms_bytes) {
            return usage("--kms-bytes", quoted(*bytes) +
                                            " is not accepted; expected a number "
                                            "of bytes, 1.." +
                                            std::to_string(max_kms_bytes));
        }
        config.kms_bytes = static_cast<std::size_t>(*count);
    }

    if (const auto id = given.value("--custom-key-store-id")) {
        // KMS API: CustomKeyStoreId is 1..64 characters.
        const bool printable =
            std::all_of(id->begin(), id->end(), [](char c) { return c > ' ' && c < 0x7f; });
        if (id->empty() || id->size() > 64 || !printable) {
            return usage("--custom-key-store-id", quoted(*id) +
                                                      " is not accepted; expected an ID such as "
                                                      "cks-1234567890abcdef0 (1..64 characters)");
        }
        config.custom_key_store_id = *id;
    }
    return ok();
}

Status resolve_credits(const GivenFlags& given, SeederConfig& config) {
    if (const auto hash = given.value("--hash")) {
        if (!hash_available(*hash)) {
            return usage("--hash", quoted(*hash) +
                                       " is not a hash this build provides; "
                                       "expected a Botan hash name such as SHA-1 "
                                       "or SHA-256");
        }
        config.hash = *hash;
    }
    const auto hash_function = Botan::HashFunction::create(config.hash);
    const std::uint64_t max_bits = hash_function ? 8 * hash_function->output_length() : 0;

    if (const auto profile = given.value("--credit-profile")) {
        if (*profile == "default") {
            config.credits = CreditPolicy::defaults();
        } else if (*profile == "none") {
            config.credits = CreditPolicy::none();
        } else {
            return usage("--credit-profile",
                         quoted(*profile) + " is not accepted; expected default or none");
        }
    }

    // --credit overrides the profile for its source, whatever the order of the flags.
    for (const auto& credit : given.credits) {
        const std::size_t eq = credit.find('=');
        const std::string name = credit.substr(0, eq);
        const bool known = std::find(metadata_sources.begin(), metadata_sources.end(), name) !=
                           metadata_sources.end();
        if (eq == std::string::npos || !known) {
            return usage("--credit", quoted(credit) +
                                         " is not accepted; expected SOURCE=BITS "
                                         "with SOURCE one of imds/instance-id, "
                                         "imds/local-ipv4, imds/mac, "
                                         "imds/signature");
        }
        // The whitened item is one digest: it cannot hold more bits than its size.
        const auto bits = parse_decimal(std::string_view(credit).substr(eq + 1));
        if (!bits || *bits > max_bits) {
            return usage("--credit", quoted(credit) + " is not accepted; BITS is 0.." +
                                         std::to_string(max_bits) + " for " + config.hash +
                                         " digests");
        }
        config.credits.bits[name] = static_cast<std::uint32_t>(*bits);
    }
    return ok();
}

Status resolve_run(const GivenFlags& given, Options& options) {
    SeederConfig& config = options.seeder;

    if (const auto deadline = given.value("--deadline")) {
        const auto ms = parse_seconds_as_ms(*deadline);
        if (!ms || *ms == 0 || *ms > max_deadline_ms) {
            return usage("--deadline", quoted(*deadline) +
                                           " is not accepted; expected "
                                           "seconds, more than 0 and at most "
                                           "3600 (e.g. 30 or 2.5)");
        }
        config.overall_deadline = MonoTime(static_cast<MonoTime::rep>(*ms));
    }

    config.skip_metadata = given.on("--skip-metadata");
    config.skip_kms = given.on("--skip-kms");
    if (config.skip_metadata && config.skip_kms) {
        return usage("--skip-metadata", "together with --skip-kms leaves nothing to do");
    }

    if (const auto sink = given.value("--sink")) {
        auto spec = transport::parse_sink_spec(*sink);
        if (!spec) {
            return usage("--sink", spec.error().message);
        }
        options.sink = *spec;
    }

    options.transport = EC2SEED_WITH_CURL ? TransportKind::curl : TransportKind::native;
    if (const auto name = given.value("--transport")) {
        if (*name == "native") {
            options.transport = TransportKind::native;
        } else if (*name == "curl" && EC2SEED_WITH_CURL) {
            options.transport = TransportKind::curl;
        } else {
            return usage("--transport", quoted(*name) + " is not accepted; expected " +
                                            (EC2SEED_WITH_CURL ? "curl or native"
                                                               : "native (built without curl)"));
        }
    }

    if (const auto bundle = given.value("--ca-bundle")) {
        if (bundle->empty() || ::access(bundle->c_str(), R_OK) != 0) {
            return usage("--ca-bundle", quoted(*bundle) +
                                            " is not a readable file of PEM "
                                            "certificates");
        }
        options.ca_bundle = *bundle;
    }

    if (const auto report = given.value("--report")) {
        if (*report == "text") {
            options.report = ReportFormat::text;
        } else if (*report == "json") {
            options.report = ReportFormat::json;
        } else {
            return usage("--report", quoted(*report) +
                                         " is not accepted; expected text or "
                                         "json");
        }
    }

    if (const auto record = given.value("--record")) {
        if (record->empty()) {
            return usage("--record", "needs a file name");
        }
        options.record_path = *record;
    }

    if (given.on("--verbose") && given.on("--quiet")) {
        return usage("--verbose", "and --quiet cannot be used together");
    }
    options.verbosity = given.on("--verbose") ? Verbosity::verbose
                        : given.on("--quiet") ? Verbosity::quiet
                                              : Verbosity::normal;
    return ok();
}

}  // namespace

Environment process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr || *value == '\0') {
            return std::nullopt;
        }
        return std::string(value);
    };
}

std::string_view to_string(TransportKind kind) noexcept {
    return kind == TransportKind::curl ? "curl" : "native";
}

Result<CommandLine> parse_command_line(std::span<const std::string> args, const Environment& env) {
    auto given = scan(args);
    if (!given) {
        return std::move(given).error();
    }

    CommandLine command;
    if (given->on("--help")) {
        command.action = Action::help;
        return command;
    }
    if (given->on("--version")) {
        command.action = Action::version;
        return command;
    }

    // Each step names its flag or variable in its errors.
    if (auto step = resolve_credits(*given, command.options.seeder); !step) {
        return std::move(step).error();
    }
    if (auto step = resolve_imds(*given, env, command.options.seeder); !step) {
        return std::move(step).error();
    }
    if (auto step = resolve_kms(*given, env, command.options.seeder); !step) {
        return std::move(step).error();
    }
    if (auto step = resolve_run(*given, command.options); !step) {
        return std::move(step).error();
    }
    return command;
}

std::string usage_text() {
    return R"(Usage: ec2seed [OPTION]...
Seed the kernel's random pool at boot from EC2 instance metadata (phase 1, plain
HTTP) and AWS KMS GenerateRandom (phase 2, HTTPS).

Endpoints and AWS:
  --imds-endpoint URL     IMDS (default http://169.254.169.254; http only)
  --kms-endpoint URL      KMS (default https://kms.REGION.amazonaws.com; https only)
  --region REGION         region for KMS (default: from IMDS)
  --ca-bundle FILE        PEM file of CAs trusted for KMS (default: system store)
  --kms-bytes N           bytes to ask KMS for, 1..65536 (default 1024)
  --imds-v1 allow|never   fall back to IMDSv1 when no token is issued (default allow)
  --imds-token-ttl SECS   IMDSv2 token lifetime, 1..21600 (default 21600)
  --custom-key-store-id ID  GenerateRandom from this custom key store
  --skip-metadata         add nothing from IMDS (IMDS still gives role and region)
  --skip-kms              phase 1 only

Where the entropy goes:
  --sink kernel           ioctl RNDADDENTROPY on /dev/random, with credit (default;
                          needs root, CAP_SYS_ADMIN)
  --sink urandom          write to /dev/urandom: mixed in, credits nothing
  --sink dry-run          change nothing; report what would have been added
  --sink file:PATH        append the bytes as JSON lines to PATH, for tests and
                          audits. WARNING: this writes entropy to disk and adds
                          nothing to the kernel.
  --credit SOURCE=BITS    bits credited for a metadata source (repeatable); SOURCE
                          is imds/instance-id, imds/local-ipv4, imds/mac or
                          imds/signature; BITS is at most the digest's size
  --credit-profile default|none  default: imds/mac 24 bits, others 0;
                          none: nothing credited from metadata (KMS always 8/byte)
  --hash NAME             whitening hash for metadata (default SHA-1)

Running:
  --transport curl|native HTTP stack (default curl when built in)
  --deadline SECONDS      bound on the whole run (default 30)
  --report text|json      report on stdout (default text)
  --record FILE           write the run as a replay transcript, secrets and
                          entropy bytes redacted (created with mode 0600)
  -v, --verbose           also log each request (method, URL, status, time)
  -q, --quiet             log errors only
  --version               print the version and exit
  -h, --help              print this help and exit

Environment (flags win): AWS_EC2_METADATA_SERVICE_ENDPOINT,
AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE (IPv4 or IPv6), AWS_EC2_METADATA_V1_DISABLED
(true or false), AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.

Exit status: 0 complete, 3 partial (some entropy added, something failed),
1 failed (nothing added), 2 usage or configuration error (nothing sent).
)";
}

}  // namespace ec2seed::app
