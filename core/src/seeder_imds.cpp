// Phase 1 and what phase 2 needs from IMDS: the session token (or the IMDSv1
// fallback), the four metadata items turned into entropy additions, the role's
// credentials and the region.
#include <utility>

#include "ec2seed/core/base64.h"
#include "ec2seed/core/imds.h"
#include "ec2seed/core/whiten.h"
#include "seeder_run.h"

namespace ec2seed::detail {

namespace {

bool is_phase1_item(Fetch fetch) {
    return fetch == Fetch::instance_id || fetch == Fetch::local_ipv4 || fetch == Fetch::mac ||
           fetch == Fetch::signature;
}

bool is_imds_fetch(Fetch fetch) {
    return fetch != Fetch::generate_random;
}

std::string describe(int status, std::optional<TransportError> transport) {
    if (transport) {
        return "transport error " + std::string(to_string(*transport));
    }
    return "IMDS answered " + std::to_string(status);
}

// What to do when the token request fails. From the EC2 User Guide (IMDSv2) and
// the AWS SDKs' fallback rules:
//   400                      the token is required and the request was bad: fail
//   403, 404, 405            IMDSv2 disabled or not supported: IMDSv1 if allowed
//   503, connection refused  IMDS not up yet (early boot): IMDSv1 if allowed, else
//                            retry with backoff until the deadline
//   other 5xx, other transport errors: IMDSv1 if allowed, else standard retries
//   timed out                IMDSv1 if allowed (a hop limit of 1 loses the PUT's
//                            reply), else fail
//   anything else (a bad token, another status): IMDSv1 if allowed, else fail
// A token fetched again after a 401 never falls back: IMDS has just asked for one.
enum class TokenVerdict : std::uint8_t { fall_back, fail, retry_boot, retry_standard };

TokenVerdict token_verdict(int status, std::optional<TransportError> transport, bool v1_allowed) {
    if (status == 400) {
        return TokenVerdict::fail;
    }
    if (v1_allowed) {
        return TokenVerdict::fall_back;
    }

    if (status == 503 || transport == TransportError::connection_refused) {
        return TokenVerdict::retry_boot;
    }
    if (status >= 500 || (transport && transport != TransportError::timed_out)) {
        return TokenVerdict::retry_standard;
    }
    return TokenVerdict::fail;
}

std::string imds_path(Fetch fetch, const std::string& role) {
    switch (fetch) {
        case Fetch::instance_id:
            return std::string(imds::instance_id_path);
        case Fetch::local_ipv4:
            return std::string(imds::local_ipv4_path);
        case Fetch::mac:
            return std::string(imds::mac_path);
        case Fetch::signature:
            return std::string(imds::signature_path);
        case Fetch::region:
            return std::string(imds::region_path);
        case Fetch::document:
            return std::string(imds::document_path);
        case Fetch::role_listing:
            return std::string(imds::roles_path);
        case Fetch::credentials:
            return std::string(imds::roles_path) + role;
        case Fetch::token:
        case Fetch::generate_random:
            break;
    }
    return "/";
}

// Hands a parsed value to `use`, or gives back the parser's error.
template <typename Value, typename Use>
std::optional<Error> take(Result<Value> parsed, Use use) {
    if (!parsed) {
        return parsed.error();
    }

    use(std::move(parsed).value());
    return std::nullopt;
}

// The text `served` picks out of a parsed item, as bytes.
template <typename Value, typename Served>
Result<SecureBytes> as_bytes(Result<Value> parsed, Served served) {
    if (!parsed) {
        return std::move(parsed).error();
    }

    const std::string text = served(*parsed);
    return SecureBytes(text.begin(), text.end());
}

// The bytes a phase-1 item contributes: the value as served, surrounding white
// space trimmed; for the signature, its decoded bytes.
Result<SecureBytes> phase1_item_bytes(Fetch fetch, std::string_view body) {
    switch (fetch) {
        case Fetch::instance_id:
            return as_bytes(imds::parse_instance_id(body),
                            [](const std::string& id) { return id; });
        case Fetch::local_ipv4:
            return as_bytes(imds::parse_local_ipv4(body), [](const std::string& ip) { return ip; });
        case Fetch::mac:
            return as_bytes(imds::parse_mac(body),
                            [](const imds::MacAddress& mac) { return mac.text; });
        default:
            return base64_decode_wrapped(body, imds::max_signature_bytes);
    }
}

}  // namespace

bool SeedingRun::imds_needed() const {
    return !m_config.skip_metadata || wants_region_from_imds() || wants_credentials_from_imds();
}

bool SeedingRun::wants_region_from_imds() const {
    return !m_config.skip_kms && !m_config.region;
}

bool SeedingRun::wants_credentials_from_imds() const {
    return !m_config.skip_kms && !m_config.credentials;
}

void SeedingRun::send_token(Now now) {
    send(Fetch::token, imds::token_request(m_config.imds, m_config.imds_token_ttl_seconds),
         m_config.imds_request_timeout, now);
}

void SeedingRun::send_metadata_batch(Now now) {
    // Independent requests go out together; a transport may run them at once.
    if (!m_config.skip_metadata) {
        for (const Fetch item : phase1_items) {
            send_imds_get(item, now);
        }
    }
    if (wants_region_from_imds()) {
        send_imds_get(Fetch::region, now);
    }
    if (wants_credentials_from_imds()) {
        send_imds_get(Fetch::role_listing, now);
    }
}

void SeedingRun::send_imds_get(Fetch fetch, Now now) {
    send(fetch, imds::get_request(m_config.imds, imds_path(fetch, m_role), m_token),
         m_config.imds_request_timeout, now);
}

void SeedingRun::on_token_response(const HttpResponse& response, Now now) {
    if (response.status != 200) {
        on_token_failure(response.status, std::nullopt, describe(response.status, std::nullopt),
                         now);
        return;
    }

    auto token = imds::parse_token(body_view(response));
    if (!token) {
        on_token_failure(200, std::nullopt, "unusable token: " + token.error().message, now);
        return;
    }
    on_token_received(std::move(token).value(), now);
}

void SeedingRun::on_token_failure(int status, std::optional<TransportError> transport,
                                  std::string what, Now now) {
    const bool refresh = m_phase != Phase::imds_token;
    const bool v1_allowed = !refresh && m_config.imds_v1 == ImdsV1Policy::allow;
    const std::string why = "token request failed: " + what;

    switch (token_verdict(status, transport, v1_allowed)) {
        case TokenVerdict::fall_back:
            fall_back_to_v1(why, now);
            return;
        case TokenVerdict::retry_boot:
            if (retry_or_fail(Fetch::token, RetryKind::boot, why, now)) {
                return;
            }
            break;
        case TokenVerdict::retry_standard:
            if (retry_or_fail(Fetch::token, RetryKind::standard, why, now)) {
                return;
            }
            break;
        case TokenVerdict::fail:
            fail(Fetch::token, status == 400 ? ErrorCode::http_status : ErrorCode::imds_unavailable,
                 why + (status == 400 ? "; 400 means a token is required: no IMDSv1 fallback"
                                      : (refresh ? "" : "; IMDSv1 is not allowed")));
            break;
    }
    fail_imds(refresh ? "no fresh token after a 401; the requests it refused are abandoned"
                      : "IMDS is unusable: no token, and no IMDSv1 fallback");
}

void SeedingRun::fall_back_to_v1(std::string_view why, Now now) {
    settle(Fetch::token, SlotState::failed);
    m_token = Secret{};
    m_report.imds_v1 = true;
    event(EventLevel::warning, std::string(why) + "; falling back to IMDSv1 (allowed by policy)");

    enter(Phase::imds_metadata, "IMDSv1 fallback");
    send_metadata_batch(now);
}

void SeedingRun::fail_imds(std::string message) {
    // The first token failure leaves nothing of IMDS usable; a failed refresh
    // abandons only the requests that were waiting for it.
    const bool first_token = m_phase == Phase::imds_token;
    for (std::size_t i = 0; i < fetch_count; ++i) {
        const auto fetch = static_cast<Fetch>(i);
        const SlotState state = m_slots[i].state;
        if (!is_imds_fetch(fetch) || settled(state) || state == SlotState::idle) {
            continue;
        }
        if (first_token) {
            settle(fetch, SlotState::failed);
        } else if (state == SlotState::awaiting_token) {
            fail(fetch, ErrorCode::imds_unavailable,
                 "abandoned: IMDS answered 401 and no fresh token came");
        }
    }
    if (first_token) {
        m_imds_unusable = true;
    }
    event(EventLevel::error, std::move(message));
}

void SeedingRun::on_token_received(Secret token, Now now) {
    m_token = std::move(token);
    m_token_generation += 1;
    settle(Fetch::token, SlotState::done);
    m_slots[static_cast<std::size_t>(Fetch::token)].counted_failures = 0;

    if (m_phase == Phase::imds_token) {
        event(EventLevel::info, "IMDSv2 session token received (TTL " +
                                    std::to_string(m_config.imds_token_ttl_seconds) + " s)");
        enter(Phase::imds_metadata, "the IMDSv2 token arrived");
        send_metadata_batch(now);
        return;
    }

    event(EventLevel::info, "fresh IMDSv2 session token received; resending what IMDS refused");
    for (std::size_t i = 0; i < fetch_count; ++i) {
        if (m_slots[i].state == SlotState::awaiting_token) {
            send_imds_get(static_cast<Fetch>(i), now);
        }
    }
}

void SeedingRun::on_imds_response(Fetch fetch, const Outstanding& request,
                                  const HttpResponse& response, Now now) {
    switch (response.status) {
        case 200:
            accept_imds_item(fetch, body_view(response), now);
            return;
        case 404:
            on_item_missing(fetch, now);
            return;
        case 401:
            on_unauthorized(fetch, request, now);
            return;
        default:
            on_imds_failure(fetch, response.status, std::nullopt, now);
            return;
    }
}

void SeedingRun::on_imds_failure(Fetch fetch, int status, std::optional<TransportError> transport,
                                 Now now) {
    const std::string why = describe(status, transport);

    // IMDS early at boot refuses connections or answers 503: keep asking, with
    // backoff, until the deadline. Other 5xx and transport errors: standard mode.
    bool retrying = false;
    if (status == 503 || transport == TransportError::connection_refused) {
        retrying = retry_or_fail(fetch, RetryKind::boot, why, now);
    } else if (status >= 500 || transport) {
        retrying = retry_or_fail(fetch, RetryKind::standard, why, now);
    } else {
        fail(fetch, ErrorCode::http_status, why);
    }

    if (!retrying) {
        imds_item_unavailable(fetch, now);
    }
}

void SeedingRun::on_unauthorized(Fetch fetch, const Outstanding& request, Now now) {
    FetchSlot& slot = m_slots[static_cast<std::size_t>(fetch)];

    // IMDS: 401 means the token is missing, expired or invalid. Fetch a new one and
    // retry once; a second 401 for the same item is final.
    if (slot.token_refresh_used) {
        fail(fetch, ErrorCode::http_status, "IMDS answered 401 again, with a fresh token");
        imds_item_unavailable(fetch, now);
        return;
    }
    slot.token_refresh_used = true;
    slot.state = SlotState::awaiting_token;

    const SlotState token_state = m_slots[static_cast<std::size_t>(Fetch::token)].state;
    const bool refresh_pending =
        token_state == SlotState::in_flight || token_state == SlotState::backing_off;
    if (request.token_generation < m_token_generation && !m_token.empty()) {
        // Sent with a token that has been replaced since: try the new one.
        send_imds_get(fetch, now);
    } else if (!refresh_pending) {
        event(EventLevel::warning,
              std::string(info(fetch).label) + ": IMDS answered 401; fetching a new session token");
        m_token = Secret{};
        send_token(now);
    }
}

void SeedingRun::accept_imds_item(Fetch fetch, std::string_view body, Now now) {
    const std::string label(info(fetch).label);

    if (is_phase1_item(fetch)) {
        // A malformed item is not mixed in; IMDS serves static items, so asking
        // again would get the same answer.
        auto item = phase1_item_bytes(fetch, body);
        if (!item) {
            fail(fetch, item.error().code, "unusable item, skipped: " + item.error().message);
            return;
        }
        auto digest = whiten(m_config.hash, *item);
        if (!digest) {
            fail(fetch, digest.error().code, digest.error().message);
            return;
        }

        const auto credit = m_config.credits.bits.find(std::string(info(fetch).source));
        settle(fetch, SlotState::done);
        emit_addition(fetch, std::move(digest).value(),
                      credit == m_config.credits.bits.end() ? 0 : credit->second);
        return;
    }

    // What phase 2 needs may still be filling in (credentials right after boot):
    // a reply that fails its checks is retried in standard mode.
    std::optional<Error> error;
    switch (fetch) {
        case Fetch::region:
            error = take(imds::parse_region(body), [this](auto region) { m_region = region; });
            break;
        case Fetch::document:
            error = take(imds::parse_identity_document(body),
                         [this](const auto& document) { m_region = document.region; });
            break;
        case Fetch::role_listing:
            error = take(imds::parse_role_listing(body), [this](auto role) { m_role = role; });
            break;
        case Fetch::credentials:
            // Expiration is checked for form, not judged against the local clock: at
            // boot that clock may be off, and KMS's clock-skew answer corrects for it,
            // where a local verdict would refuse good credentials.
            error = take(imds::parse_role_credentials(body),
                         [this](const auto& role) { m_credentials = role.credentials; });
            break;
        default:
            break;
    }

    if (error) {
        if (!retry_or_fail(fetch, RetryKind::standard, "unusable reply: " + error->message, now)) {
            imds_item_unavailable(fetch, now);
        }
        return;
    }

    settle(fetch, SlotState::done);
    if (fetch == Fetch::region || fetch == Fetch::document) {
        event(EventLevel::info, "region " + *m_region + " (from " + label + ")");
    } else if (fetch == Fetch::role_listing) {
        event(EventLevel::info, "instance role " + m_role + "; fetching its credentials");
        send_imds_get(Fetch::credentials, now);
    } else if (fetch == Fetch::credentials) {
        event(EventLevel::info, "credentials of role " + m_role + " received");
    }
}

void SeedingRun::on_item_missing(Fetch fetch, Now now) {
    settle(fetch, SlotState::missing);

    if (is_phase1_item(fetch)) {
        record_error(info(fetch).label, ErrorCode::http_status,
                     "IMDS does not serve this item here (404); skipped");
        return;
    }
    event(EventLevel::warning, std::string(info(fetch).label) + ": IMDS answered 404");
    imds_item_unavailable(fetch, now);
}

void SeedingRun::imds_item_unavailable(Fetch fetch, Now now) {
    // Region: the override, else placement/region, else the identity document.
    if (fetch == Fetch::region && !m_region) {
        event(EventLevel::info, "reading the region from the identity document instead");
        send_imds_get(Fetch::document, now);
    }
}

bool SeedingRun::imds_work_pending() const {
    for (std::size_t i = 0; i < fetch_count; ++i) {
        const SlotState state = m_slots[i].state;
        if (is_imds_fetch(static_cast<Fetch>(i)) && state != SlotState::idle && !settled(state)) {
            return true;
        }
    }
    return false;
}

}  // namespace ec2seed::detail
