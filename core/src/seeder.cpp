// Seeder: the driver-facing shell around SeedingRun (seeder_run.h), and the
// configuration checks.
#include "ec2seed/core/seeder.h"

#include <utility>

#include "ec2seed/core/entropy.h"
#include "ec2seed/core/imds.h"
#include "ec2seed/core/whiten.h"
#include "seeder_run.h"

namespace ec2seed {

namespace {

// Upper bounds that keep a run small: 1024 GenerateRandom rounds at most.
constexpr std::size_t max_kms_bytes = 1024 * 1024;
constexpr int max_attempts_bound = 10;

Status bad_config(std::string message) {
    return Error{ErrorCode::bad_config, std::move(message)};
}

bool known_source(const std::string& name) {
    return name == source::instance_id || name == source::local_ipv4 || name == source::mac ||
           name == source::signature;
}

}  // namespace

struct Seeder::State {
    explicit State(SeederConfig config) : run(std::move(config)) {}

    detail::SeedingRun run;
};

Seeder::Seeder(SeederConfig config) : m_state(std::make_unique<State>(std::move(config))) {}
Seeder::~Seeder() = default;
Seeder::Seeder(Seeder&&) noexcept = default;
Seeder& Seeder::operator=(Seeder&&) noexcept = default;

Status Seeder::validate(const SeederConfig& config) {
    if (config.skip_metadata && config.skip_kms) {
        return bad_config("both phases are skipped: there is nothing to do");
    }
    if (config.imds.host.empty() || config.imds.port == 0) {
        return bad_config("the IMDS endpoint needs a host and a port");
    }
    if (config.kms && (config.kms->host.empty() || config.kms->port == 0)) {
        return bad_config("the KMS endpoint needs a host and a port");
    }

    // IMDSv2: X-aws-ec2-metadata-token-ttl-seconds is 1..21600.
    if (config.imds_token_ttl_seconds < imds::min_token_ttl ||
        config.imds_token_ttl_seconds > imds::max_token_ttl) {
        return bad_config("the IMDS token TTL must be 1..21600 seconds");
    }
    if (!config.skip_kms && (config.kms_bytes == 0 || config.kms_bytes > max_kms_bytes)) {
        return bad_config("the bytes wanted from KMS must be 1.." + std::to_string(max_kms_bytes));
    }
    if (config.region && !imds::parse_region(*config.region)) {
        return bad_config("the region '" + *config.region + "' is not an AWS region name");
    }
    if (config.credentials && (config.credentials->access_key_id.empty() ||
                               config.credentials->secret_access_key.empty())) {
        return bad_config("the given credentials need an access key id and a secret access key");
    }
    if (config.custom_key_store_id && config.custom_key_store_id->empty()) {
        return bad_config("the custom key store id is empty");
    }

    if (!hash_available(config.hash)) {
        return bad_config("the whitening hash '" + config.hash + "' is not available");
    }
    for (const auto& [name, bits] : config.credits.bits) {
        if (!known_source(name)) {
            return bad_config("no metadata source is called '" + name + "'");
        }
    }

    if (config.overall_deadline.count() <= 0 || config.imds_request_timeout.count() <= 0 ||
        config.kms_request_timeout.count() <= 0) {
        return bad_config("deadlines and request timeouts must be positive");
    }
    if (config.retry.max_attempts < 1 || config.retry.max_attempts > max_attempts_bound ||
        config.retry.base_delay.count() < 1 || config.retry.max_backoff < config.retry.base_delay) {
        return bad_config(
            "retries: 1..10 attempts, a base delay of at least 1 ms, and a maximum "
            "backoff no shorter than the base delay");
    }
    return ok();
}

void Seeder::start(Now now) {
    m_state->run.start(now);
}

void Seeder::handle_response(RequestId id, HttpResponse response, Now now) {
    m_state->run.handle_response(id, std::move(response), now);
}

void Seeder::handle_transport_error(RequestId id, TransportError error, Now now) {
    m_state->run.handle_transport_error(id, error, now);
}

void Seeder::handle_entropy_result(AdditionId id, const EntropyResult& result, Now now) {
    m_state->run.handle_entropy_result(id, result, now);
}

void Seeder::handle_timeout(Now now) {
    m_state->run.handle_timeout(now);
}

std::optional<Command> Seeder::poll_command() {
    return m_state->run.poll_command();
}

std::optional<Event> Seeder::poll_event() {
    return m_state->run.poll_event();
}

std::optional<MonoTime> Seeder::next_deadline() const {
    return m_state->run.next_deadline();
}

bool Seeder::finished() const {
    return m_state->run.finished();
}

const Report& Seeder::report() const {
    return m_state->run.report();
}

}  // namespace ec2seed
