// The run's machinery shared by every phase: time and the overall deadline, phase
// changes, sending requests and additions, retries, events and the report.
#include <algorithm>
#include <cstdlib>
#include <utility>

#include "seeder_run.h"

namespace ec2seed::detail {

namespace {

std::string ms(MonoTime t) {
    return std::to_string(t.count()) + " ms";
}

}  // namespace

SeedingRun::SeedingRun(SeederConfig config)
    : m_config(std::move(config)),
      m_jitter(m_config.jitter_seed),
      m_credentials(m_config.credentials),
      m_region(m_config.region) {
    const Status valid = Seeder::validate(m_config);
    if (!valid) {
        m_config_error = valid.error();
    }
}

void SeedingRun::start(Now now) {
    if (m_phase != Phase::not_started) {
        event(EventLevel::warning, "start() called on a run that already started; ignored");
        return;
    }

    m_last_mono = now.mono;
    if (m_config_error) {
        record_error("", m_config_error->code, m_config_error->message);
        finish("the configuration is invalid");
        return;
    }

    m_timers.set_overall(now.mono + m_config.overall_deadline);
    event(EventLevel::info,
          "run started: " +
              (imds_needed() ? "IMDS at " + to_string(m_config.imds) : std::string("no IMDS")) +
              ", " +
              (m_config.skip_kms ? std::string("KMS skipped")
                                 : std::to_string(m_config.kms_bytes) + " bytes wanted from KMS") +
              ", overall deadline " + ms(m_config.overall_deadline));
    if (imds_needed()) {
        enter(Phase::imds_token, "IMDS is needed");
        send_token(now);
        return;
    }
    enter_kms("nothing is needed from IMDS", now);
}

std::optional<Now> SeedingRun::admit(std::string_view input, Now now) {
    if (m_phase == Phase::not_started || finished()) {
        event(EventLevel::debug, std::string(input) + " ignored: the run is not running");
        return std::nullopt;
    }

    now = observe_time(now);
    if (deadline_passed(now)) {
        return std::nullopt;
    }
    return now;
}

std::optional<Outstanding> SeedingRun::take_outstanding(RequestId id, std::string_view input) {
    const auto it = m_outstanding.find(id);
    if (it == m_outstanding.end()) {
        event(EventLevel::warning, std::string(input) + " ignored: no such request is outstanding");
        return std::nullopt;
    }

    const Outstanding request = it->second;
    m_outstanding.erase(it);
    return request;
}

void SeedingRun::handle_response(RequestId id, HttpResponse response, Now now) {
    const std::string input = "response to request " + std::to_string(id);
    const std::optional<Now> at = admit(input, now);
    const std::optional<Outstanding> request = at ? take_outstanding(id, input) : std::nullopt;
    if (!request) {
        return;
    }

    switch (request->fetch) {
        case Fetch::token:
            on_token_response(response, *at);
            break;
        case Fetch::generate_random:
            on_kms_response(response, *at);
            break;
        default:
            on_imds_response(request->fetch, *request, response, *at);
            break;
    }
    progress(*at);
}

void SeedingRun::handle_transport_error(RequestId id, TransportError error, Now now) {
    const std::string input = "transport error for request " + std::to_string(id);
    const std::optional<Now> at = admit(input, now);
    const std::optional<Outstanding> request = at ? take_outstanding(id, input) : std::nullopt;
    if (!request) {
        return;
    }

    switch (request->fetch) {
        case Fetch::token:
            on_token_failure(0, error, std::string(to_string(error)), *at);
            break;
        case Fetch::generate_random:
            on_kms_transport_error(error, *at);
            break;
        default:
            on_imds_failure(request->fetch, 0, error, *at);
            break;
    }
    progress(*at);
}

void SeedingRun::handle_entropy_result(AdditionId id, const EntropyResult& result, Now now) {
    const std::optional<Now> at = admit("entropy result for addition " + std::to_string(id), now);
    if (!at) {
        return;
    }
    now = *at;

    const auto it = m_unacked.find(id);
    if (it == m_unacked.end()) {
        event(EventLevel::warning, "entropy result for addition " + std::to_string(id) +
                                       " ignored: no such addition is unanswered");
        return;
    }
    const PendingAddition addition = it->second;
    m_unacked.erase(it);

    SourceTally& tally = m_sources[addition.source];
    if (result.applied) {
        tally.bytes += addition.bytes;
        tally.credit_bits += addition.credit_bits;
        tally.applied_additions += 1;
        event(EventLevel::info, addition.source + ": " + std::to_string(addition.bytes) +
                                    " bytes added to the pool, " +
                                    std::to_string(addition.credit_bits) + " bits credited");
    } else {
        tally.failed_additions += 1;
        record_error(
            addition.source, ErrorCode::entropy_not_applied,
            "the sink did not add " + std::to_string(addition.bytes) + " bytes: " + result.reason);
    }

    if (addition.source == source::kms) {
        on_kms_addition_result(result.applied, now);
    }
    progress(now);
}

void SeedingRun::handle_timeout(Now now) {
    if (m_phase == Phase::not_started || finished()) {
        return;
    }

    // A wake-up before the earliest timer is spurious: nothing is due.
    now = observe_time(now);
    const std::optional<MonoTime> due = m_timers.earliest();
    if (!due || now.mono < *due) {
        return;
    }

    if (deadline_passed(now)) {
        return;
    }

    fire_backoffs(now);
    progress(now);
}

std::optional<Command> SeedingRun::poll_command() {
    if (m_commands.empty()) {
        return std::nullopt;
    }

    Command command = std::move(m_commands.front());
    m_commands.pop_front();
    return command;
}

std::optional<Event> SeedingRun::poll_event() {
    if (m_events.empty()) {
        return std::nullopt;
    }

    Event next = std::move(m_events.front());
    m_events.pop_front();
    return next;
}

std::optional<MonoTime> SeedingRun::next_deadline() const {
    if (finished() || m_phase == Phase::not_started) {
        return std::nullopt;
    }
    return m_timers.earliest();
}

Now SeedingRun::observe_time(Now now) {
    // A driver's monotonic clock never goes back; if one does, the run holds still.
    now.mono = std::max(now.mono, m_last_mono);
    m_last_mono = now.mono;
    return now;
}

bool SeedingRun::deadline_passed(Now now) {
    const std::optional<MonoTime> overall = m_timers.overall();
    if (!overall || now.mono < *overall) {
        return false;
    }

    std::string abandoned;
    for (const auto& [id, request] : m_outstanding) {
        abandoned += (abandoned.empty() ? "" : ", ") + std::string(info(request.fetch).label);
    }
    record_error("", ErrorCode::deadline_exceeded,
                 "the overall deadline (" + ms(m_config.overall_deadline) + ") passed" +
                     (abandoned.empty() ? std::string() : "; abandoned requests: " + abandoned));
    finish("the overall deadline passed");
    return true;
}

void SeedingRun::enter(Phase to, std::string_view why) {
    // Every step must be one of phase_rules (seeder_phases.cpp). Any other is a bug in
    // the seeder: stop rather than run on in a state nobody reviewed (release builds
    // and fuzzers included, where assert() is compiled out).
    if (!transition_allowed(m_phase, to)) {
        std::abort();
    }
    event(EventLevel::debug, "phase " + std::string(to_string(m_phase)) + " -> " +
                                 std::string(to_string(to)) + ": " + std::string(why));
    m_phase = to;
}

void SeedingRun::progress(Now now) {
    if (m_phase == Phase::imds_token && !m_imds_unusable) {
        return;
    }

    if (m_phase == Phase::imds_token || m_phase == Phase::imds_metadata) {
        // Phase 2 waits for every phase-1 acknowledgement: TLS seeds itself from
        // the pool, so the pool must be fed before the first HTTPS request.
        if (imds_work_pending() || !m_unacked.empty()) {
            return;
        }
        if (m_config.skip_kms) {
            finish("phase 1 is done and KMS was not asked for");
            return;
        }

        if (!m_region) {
            record_error(wants_region_from_imds() ? "imds/region" : "", ErrorCode::no_region,
                         "no region: none was configured and IMDS did not provide one");
        }
        if (!m_credentials) {
            const bool no_role =
                m_slots[static_cast<std::size_t>(Fetch::role_listing)].state == SlotState::missing;
            record_error(no_role ? "imds/role" : "imds/credentials", ErrorCode::no_credentials,
                         no_role ? "no IAM role is attached to the instance (IMDS answered 404 "
                                   "to iam/security-credentials/) and no credentials were given"
                                 : "no credentials: none were given and IMDS did not provide "
                                   "the role's");
        }
        if (!m_region || !m_credentials) {
            finish("phase 2 cannot run without a region and credentials");
            return;
        }
        enter_kms(m_phase == Phase::imds_token
                      ? "IMDS is unusable, but region and credentials were given"
                      : "phase 1 is acknowledged; region and credentials are known",
                  now);
        return;
    }

    if (m_phase == Phase::kms && !kms_work_pending()) {
        finish(m_kms_applied >= m_config.kms_bytes ? "every byte wanted from KMS was added"
                                                   : "KMS ended before every byte was added");
    }
}

void SeedingRun::finish(std::string_view why) {
    if (finished()) {
        return;
    }

    for (const auto& [id, addition] : m_unacked) {
        record_error(
            addition.source, ErrorCode::entropy_not_applied,
            "the sink had not answered for addition " + std::to_string(id) + " when the run ended");
    }
    m_unacked.clear();
    m_outstanding.clear();
    m_commands.clear();
    m_timers.clear_all();

    // Sources in a fixed order, so that the report does not depend on the order
    // in which answers arrived.
    m_report.sources.clear();
    for (const std::string_view name :
         {source::instance_id, source::local_ipv4, source::mac, source::signature, source::kms}) {
        const auto it = m_sources.find(std::string(name));
        if (it == m_sources.end()) {
            continue;
        }
        const SourceTally& tally = it->second;
        m_report.sources.push_back(
            SourceReport{std::string(name), tally.bytes, tally.credit_bits,
                         tally.applied_additions > 0 && tally.failed_additions == 0});
    }
    m_report.kms.bytes = m_kms_applied;
    m_report.region = m_region.value_or("");
    m_report.outcome = decide_outcome();

    enter(Phase::finished, why);
    event(m_report.outcome == Outcome::complete ? EventLevel::info : EventLevel::warning,
          "run finished, outcome " + std::string(to_string(m_report.outcome)) + ": " +
              std::string(why));
}

Outcome SeedingRun::decide_outcome() const {
    bool any_applied = false;
    for (const auto& [name, tally] : m_sources) {
        any_applied = any_applied || tally.applied_additions > 0;
    }
    if (!any_applied) {
        return Outcome::failed;
    }

    // Phase 1 is done when every item was added, or does not exist here (404).
    bool phase1_done = true;
    if (!m_config.skip_metadata) {
        for (const Fetch item : phase1_items) {
            const SlotState state = m_slots[static_cast<std::size_t>(item)].state;
            const auto tally = m_sources.find(std::string(info(item).source));
            const bool added = state == SlotState::done && tally != m_sources.end() &&
                               tally->second.applied_additions > 0 &&
                               tally->second.failed_additions == 0;
            phase1_done = phase1_done && (added || state == SlotState::missing);
        }
    }

    const bool phase2_done = m_config.skip_kms || m_kms_applied >= m_config.kms_bytes;
    return phase1_done && phase2_done ? Outcome::complete : Outcome::partial;
}

void SeedingRun::send(Fetch fetch, HttpRequest request, MonoTime timeout, Now now) {
    FetchSlot& slot = m_slots[static_cast<std::size_t>(fetch)];

    // Every request ends by the overall deadline at the latest.
    request.id = m_next_request_id++;
    request.label = std::string(info(fetch).label);
    request.deadline = std::min(now.mono + timeout, m_timers.overall().value_or(now.mono));
    request.max_response_bytes = info(fetch).max_response_bytes;

    slot.state = SlotState::in_flight;
    slot.sends += 1;
    m_report.requests += 1;
    if (slot.sends > 1) {
        m_report.retries += 1;
    }
    m_outstanding[request.id] = Outstanding{fetch, m_token.empty() ? 0 : m_token_generation};

    event(EventLevel::debug, "sending " + request.label + " (" + request.method + " " +
                                 request.target + "), attempt " + std::to_string(slot.sends));
    m_commands.emplace_back(std::move(request));
}

void SeedingRun::emit_addition(Fetch fetch, SecureBytes bytes, std::uint32_t credit_bits) {
    // RNDADDENTROPY: a byte carries at most 8 bits of entropy.
    const std::size_t ceiling = bytes.size() * 8;
    const auto credit = static_cast<std::uint32_t>(std::min<std::size_t>(credit_bits, ceiling));

    EntropyAddition addition;
    addition.id = m_next_addition_id++;
    addition.source = std::string(info(fetch).source);
    addition.credit_bits = credit;
    m_unacked[addition.id] = PendingAddition{addition.source, bytes.size(), credit};
    addition.bytes = std::move(bytes);

    event(EventLevel::info, "adding " + std::to_string(addition.bytes.size()) + " bytes from " +
                                addition.source + " to the pool, crediting " +
                                std::to_string(credit) + " bits");
    m_commands.emplace_back(std::move(addition));
}

void SeedingRun::event(EventLevel level, std::string message) {
    m_events.push_back(Event{level, std::move(message)});
}

void SeedingRun::record_error(std::string_view request, ErrorCode code, std::string message) {
    event(EventLevel::error,
          (request.empty() ? std::string() : std::string(request) + ": ") + message);
    m_report.errors.push_back(ErrorReport{std::string(request), Error{code, std::move(message)}});
}

void SeedingRun::settle(Fetch fetch, SlotState state) {
    m_slots[static_cast<std::size_t>(fetch)].state = state;
    m_timers.clear_backoff(fetch);
}

void SeedingRun::fail(Fetch fetch, ErrorCode code, std::string message) {
    settle(fetch, SlotState::failed);
    record_error(info(fetch).label, code, std::move(message));
}

bool SeedingRun::retry_or_fail(Fetch fetch, RetryKind kind, std::string_view why, Now now) {
    FetchSlot& slot = m_slots[static_cast<std::size_t>(fetch)];

    MonoTime delay{0};
    if (kind == RetryKind::standard) {
        // AWS standard retry mode: max_attempts in all, counting the first.
        slot.counted_failures += 1;
        if (slot.counted_failures >= m_config.retry.max_attempts) {
            fail(fetch, ErrorCode::retries_exhausted,
                 std::string(why) + "; gave up after " + std::to_string(slot.counted_failures) +
                     " attempts");
            return false;
        }
        delay = standard_backoff(m_config.retry, slot.counted_failures, m_jitter);
    } else {
        slot.boot_retries += 1;
        delay = boot_backoff(m_config.retry, m_jitter);
    }

    const MonoTime at = now.mono + delay;
    if (at >= m_timers.overall().value_or(at)) {
        fail(fetch, ErrorCode::deadline_exceeded,
             std::string(why) + "; no time left for another attempt before the deadline");
        return false;
    }

    slot.state = SlotState::backing_off;
    m_timers.set_backoff(fetch, at);
    event(EventLevel::warning,
          std::string(info(fetch).label) + ": " + std::string(why) + "; retrying in " + ms(delay));
    return true;
}

void SeedingRun::fire_backoffs(Now now) {
    for (std::size_t i = 0; i < fetch_count; ++i) {
        const auto fetch = static_cast<Fetch>(i);
        const std::optional<MonoTime> at = m_timers.backoff(fetch);
        if (!at || *at > now.mono) {
            continue;
        }

        m_timers.clear_backoff(fetch);
        switch (fetch) {
            case Fetch::token:
                send_token(now);
                break;
            case Fetch::generate_random:
                send_generate_random(now);
                break;
            default:
                send_imds_get(fetch, now);
                break;
        }
    }
}

}  // namespace ec2seed::detail
