// Phase 2: KMS GenerateRandom in rounds, each reply checked before its bytes reach
// the pool, with the AWS SDKs' retry classes and one clock-skew correction.
#include <algorithm>
#include <utility>

#include "ec2seed/core/kms.h"
#include "ec2seed/core/sigv4.h"
#include "seeder_run.h"

namespace ec2seed::detail {

namespace {

constexpr std::size_t max_message_chars = 200;

bool all_zero(const SecureBytes& bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

std::string shortened(std::string_view text) {
    if (text.size() <= max_message_chars) {
        return std::string(text);
    }
    return std::string(text.substr(0, max_message_chars)) + "...";
}

std::string describe(const kms::KmsError& error) {
    std::string text = "KMS answered " + std::to_string(error.status);
    if (!error.type.empty()) {
        text += " " + error.type;
    }
    if (!error.message.empty()) {
        text += ": " + shortened(error.message);
    }
    return text;
}

}  // namespace

void SeedingRun::enter_kms(std::string_view why, Now now) {
    enter(Phase::kms, why);
    m_report.region = *m_region;

    const std::size_t rounds =
        (m_config.kms_bytes + kms::max_bytes_per_call - 1) / kms::max_bytes_per_call;
    event(EventLevel::info, "phase 2: asking KMS in " + *m_region + " for " +
                                std::to_string(m_config.kms_bytes) + " bytes in " +
                                std::to_string(rounds) + (rounds == 1 ? " round" : " rounds"));
    send_generate_random(now);
}

void SeedingRun::send_generate_random(Now now) {
    // KMS GenerateRandom: NumberOfBytes is 1..1024.
    m_kms_round_bytes = std::min(kms::max_bytes_per_call, m_config.kms_bytes - m_kms_accepted);

    const Endpoint endpoint = m_config.kms.value_or(kms::default_endpoint(*m_region));
    auto request =
        kms::generate_random_request(endpoint, m_kms_round_bytes, m_config.custom_key_store_id);
    if (!request) {
        fail(Fetch::generate_random, request.error().code, request.error().message);
        return;
    }

    // SigV4 signs with the wall clock corrected by what KMS said of it.
    SigV4Params params;
    params.region = *m_region;
    params.service = "kms";
    params.time = now.wall + m_skew;
    const Status signed_request = sign_request(*request, *m_credentials, params);
    if (!signed_request) {
        fail(Fetch::generate_random, signed_request.error().code,
             "cannot sign: " + signed_request.error().message);
        return;
    }

    m_report.kms.calls += 1;
    send(Fetch::generate_random, std::move(request).value(), m_config.kms_request_timeout, now);
}

void SeedingRun::on_kms_response(const HttpResponse& response, Now now) {
    if (const auto request_id = find_header(response.headers, "x-amzn-RequestId")) {
        m_report.kms.request_ids.emplace_back(*request_id);
    }

    if (response.status != 200) {
        on_kms_error_reply(response, now);
        return;
    }

    auto plaintext = kms::parse_generate_random_reply(body_view(response), m_kms_round_bytes);
    if (!plaintext) {
        on_kms_rejected(plaintext.error().code, plaintext.error().message, now);
        return;
    }

    // Bytes that cannot be random are dropped and never credited: all zero, or a
    // repeat of the previous reply (a replayed or cached response).
    SecureBytes bytes = std::move(plaintext).value();
    const bool zero = all_zero(bytes);
    const bool repeated = m_previous_plaintext && *m_previous_plaintext == bytes;
    m_previous_plaintext = bytes;
    if (zero || repeated) {
        on_kms_rejected(ErrorCode::kms_rejected_bytes,
                        zero ? "Plaintext is all zero" : "Plaintext repeats the previous reply",
                        now);
        return;
    }

    settle(Fetch::generate_random, SlotState::done);
    m_kms_accepted += bytes.size();
    m_kms_awaiting_ack = true;
    // KMS plaintext comes from the service's HSM-backed DRBG: 8 bits a byte.
    const auto credit = static_cast<std::uint32_t>(bytes.size() * 8);
    emit_addition(Fetch::generate_random, std::move(bytes), credit);
}

void SeedingRun::on_kms_rejected(ErrorCode code, std::string message, Now now) {
    retry_or_fail(
        Fetch::generate_random, RetryKind::standard,
        "reply rejected (" + std::string(to_string(code)) + "), its bytes dropped: " + message,
        now);
}

void SeedingRun::on_kms_error_reply(const HttpResponse& response, Now now) {
    const kms::KmsError error = kms::parse_error(response.status, body_view(response));
    const std::string what = describe(error);

    switch (error.kind) {
        case kms::ErrorKind::throttling:
        case kms::ErrorKind::transient:
            retry_or_fail(Fetch::generate_random, RetryKind::standard, what, now);
            return;
        case kms::ErrorKind::fatal:
            fail(Fetch::generate_random, ErrorCode::kms_fatal, what);
            return;
        case kms::ErrorKind::clock_skew:
            break;
    }

    // SigV4: a signature more than 5 minutes off the service's clock is refused.
    // Learn the service's time (Date header, else the message), re-sign at once,
    // once per run.
    if (m_skew_corrected) {
        fail(Fetch::generate_random, ErrorCode::kms_clock_skew,
             what + " (again, after correcting the clock)");
        return;
    }
    std::optional<WallTime> service_time;
    if (const auto date = find_header(response.headers, "Date")) {
        service_time = parse_http_date(*date);
    }
    if (!service_time) {
        service_time = parse_skew_message_time(error.message);
    }
    if (!service_time) {
        fail(Fetch::generate_random, ErrorCode::kms_clock_skew,
             what + " (and the reply does not say what time it is)");
        return;
    }

    m_skew = *service_time - now.wall;
    m_skew_corrected = true;
    const std::string direction = m_skew.count() < 0 ? " s ahead of" : " s behind";
    event(EventLevel::warning,
          "kms/generate-random: " + what + "; the wall clock is " +
              std::to_string(m_skew.count() < 0 ? -m_skew.count() : m_skew.count()) + direction +
              " KMS's; signing again with KMS's time");
    send_generate_random(now);
}

void SeedingRun::on_kms_transport_error(TransportError error, Now now) {
    const std::string what = "transport error " + std::string(to_string(error));

    // The same certificate would be refused again: a TLS failure is final.
    if (error == TransportError::tls_failure) {
        fail(Fetch::generate_random, ErrorCode::transport, what);
        return;
    }
    retry_or_fail(Fetch::generate_random, RetryKind::standard, what, now);
}

void SeedingRun::on_kms_addition_result(bool applied, Now now) {
    m_kms_awaiting_ack = false;

    // A failed addition is not retried: the sink that refused it would refuse the
    // next one too (its error is already in the report).
    if (!applied) {
        settle(Fetch::generate_random, SlotState::failed);
        return;
    }

    m_kms_applied += m_kms_round_bytes;
    if (m_kms_accepted < m_config.kms_bytes) {
        // A new round: a fresh budget of attempts.
        m_slots[static_cast<std::size_t>(Fetch::generate_random)] = FetchSlot{};
        send_generate_random(now);
    }
}

bool SeedingRun::kms_work_pending() const {
    const SlotState state = m_slots[static_cast<std::size_t>(Fetch::generate_random)].state;
    if (state == SlotState::failed) {
        return false;
    }
    return m_kms_awaiting_ack || m_kms_accepted < m_config.kms_bytes;
}

}  // namespace ec2seed::detail
