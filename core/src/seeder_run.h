// Internal to the core: the state of one seeding run, shared by the seeder_*.cpp
// files. Seeder (seeder.h) is a thin shell around SeedingRun.
//
// Theory of operation. A run is a walk through five phases; phase_rules
// (seeder_phases.cpp) lists which phase may follow which. Within a phase the work
// is a set of fetches, one slot per kind of request (the fetch table below), each
// idle, in flight, backing off, waiting for a fresh IMDS token, or settled (done or
// failed). Handlers settle slots; progress() looks at the slots and the unanswered
// entropy additions and moves to the next phase. Time is only what inputs carry:
// the timer table holds the overall deadline and one backoff per fetch, and
// next_deadline() is its minimum.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "ec2seed/core/config.h"
#include "ec2seed/core/entropy.h"
#include "ec2seed/core/http.h"
#include "ec2seed/core/report.h"
#include "ec2seed/core/secret.h"
#include "ec2seed/core/seeder.h"
#include "ec2seed/core/time.h"

namespace ec2seed::detail {

// ---- Phases (the transition rules are data: phase_rules in seeder_phases.cpp) ----

enum class Phase : std::uint8_t {
    not_started,
    imds_token,     // waiting for the IMDSv2 session token (or deciding on IMDSv1)
    imds_metadata,  // metadata GETs, role and region; phase-1 additions and their acks
    kms,            // GenerateRandom rounds over HTTPS
    finished,
};

std::string_view to_string(Phase phase) noexcept;

// Whether phase_rules allows going from `from` to `to`.
bool transition_allowed(Phase from, Phase to) noexcept;

// ---- Fetches: every kind of request the run makes ----

enum class Fetch : std::uint8_t {
    token,
    instance_id,
    local_ipv4,
    mac,
    signature,
    region,
    document,
    role_listing,
    credentials,
    generate_random,
};

inline constexpr std::size_t fetch_count = 10;

struct FetchInfo {
    std::string_view label;   // the request label, as reports show it
    std::string_view source;  // the entropy source it feeds, or "" for none
    std::size_t max_response_bytes;
};

const FetchInfo& info(Fetch fetch) noexcept;

// The four phase-1 items, in the order reports list them.
inline constexpr std::array<Fetch, 4> phase1_items = {Fetch::instance_id, Fetch::local_ipv4,
                                                      Fetch::mac, Fetch::signature};

enum class SlotState : std::uint8_t {
    idle,            // not needed (yet)
    in_flight,       // a request is out
    backing_off,     // waiting for its backoff timer
    awaiting_token,  // got 401; resent once a fresh token arrives
    done,
    missing,  // IMDS answered 404: the item does not exist here
    failed,
};

struct FetchSlot {
    SlotState state = SlotState::idle;
    int sends = 0;                    // requests sent for this slot, in this round
    int counted_failures = 0;         // failures that use up RetryPolicy::max_attempts
    int boot_retries = 0;             // refused/503 retries while IMDS comes up (not counted)
    bool token_refresh_used = false;  // the one retry a 401 earns
};

bool settled(SlotState state) noexcept;

// ---- Timers: a small fixed table; next_deadline() is its minimum ----

// Index 0 is the overall deadline; 1 + fetch index is that fetch's backoff.
inline constexpr std::size_t timer_count = 1 + fetch_count;

class TimerTable final {
  public:
    void set_overall(MonoTime at) { m_at[0] = at; }
    void set_backoff(Fetch fetch, MonoTime at) { m_at[backoff_index(fetch)] = at; }
    void clear_backoff(Fetch fetch) { m_at[backoff_index(fetch)].reset(); }
    void clear_all() { m_at = {}; }

    std::optional<MonoTime> overall() const { return m_at[0]; }
    std::optional<MonoTime> backoff(Fetch fetch) const { return m_at[backoff_index(fetch)]; }
    std::optional<MonoTime> earliest() const;

  private:
    static std::size_t backoff_index(Fetch fetch) { return 1 + static_cast<std::size_t>(fetch); }

    std::array<std::optional<MonoTime>, timer_count> m_at{};
};

// ---- Retry jitter: a deterministic generator seeded by the configuration ----

// splitmix64 (Steele, Lea, Flood 2014): small, fast, and its output for a seed is
// fixed, so a run's backoff delays can be replayed.
class JitterSource final {
  public:
    explicit JitterSource(std::uint64_t seed) : m_state(seed) {}

    std::uint64_t next();

    // Uniform-ish in [0, bound] milliseconds (the modulo bias is irrelevant here).
    MonoTime up_to(MonoTime bound);

  private:
    std::uint64_t m_state;
};

// AWS SDK standard retry mode, full jitter: a delay drawn from
// [0, min(max_backoff, base * 2^(failures - 1))].
MonoTime standard_backoff(const RetryPolicy& policy, int failures, JitterSource& jitter);

// While IMDS comes up: [base/2, base], never under 1 ms, so that polling a closed
// port stays gentle and a run always advances.
MonoTime boot_backoff(const RetryPolicy& policy, JitterSource& jitter);

// ---- Clock skew ----

// An HTTP Date header in the IMF-fixdate form ("Thu, 03 Dec 2026 16:00:00 GMT",
// RFC 7231 7.1.1.1), the only form AWS sends; the obsolete forms are refused.
std::optional<WallTime> parse_http_date(std::string_view text);

// SigV4's X-Amz-Date form, "20261203T160000Z".
std::optional<WallTime> parse_amz_date(std::string_view text);

// The service's time in a KMS skew message: the "(20261203T160000Z ..." part of
// "Signature expired: A is now earlier than B (C - 5 min.)".
std::optional<WallTime> parse_skew_message_time(std::string_view message);

// ---- The run ----

struct Outstanding {
    Fetch fetch = Fetch::token;
    std::uint64_t token_generation = 0;  // which token the request carried (0: none)
};

struct PendingAddition {
    std::string source;
    std::size_t bytes = 0;
    std::uint32_t credit_bits = 0;
};

// What a source's answered additions came to.
struct SourceTally {
    std::size_t bytes = 0;  // applied bytes
    std::uint32_t credit_bits = 0;
    int applied_additions = 0;
    int failed_additions = 0;
};

enum class RetryKind : std::uint8_t {
    standard,  // AWS standard mode: counts against max_attempts, exponential backoff
    boot,      // IMDS not up yet (refused, 503): not counted, retried until the deadline
};

class SeedingRun final {
  public:
    explicit SeedingRun(SeederConfig config);

    void start(Now now);
    void handle_response(RequestId id, HttpResponse response, Now now);
    void handle_transport_error(RequestId id, TransportError error, Now now);
    void handle_entropy_result(AdditionId id, const EntropyResult& result, Now now);
    void handle_timeout(Now now);

    std::optional<Command> poll_command();
    std::optional<Event> poll_event();
    std::optional<MonoTime> next_deadline() const;
    bool finished() const { return m_phase == Phase::finished; }
    const Report& report() const { return m_report; }

  private:
    // seeder_run.cpp: time, phases, requests, events, the report.
    // The input's time, or nullopt when the input is to be ignored (the run is not
    // running, or the input ended it by coming after the deadline).
    std::optional<Now> admit(std::string_view input, Now now);
    std::optional<Outstanding> take_outstanding(RequestId id, std::string_view input);
    Now observe_time(Now now);
    bool deadline_passed(Now now);
    void enter(Phase to, std::string_view why);
    void progress(Now now);
    void finish(std::string_view why);
    void send(Fetch fetch, HttpRequest request, MonoTime timeout, Now now);
    void emit_addition(Fetch fetch, SecureBytes bytes, std::uint32_t credit_bits);
    void event(EventLevel level, std::string message);
    void record_error(Fetch fetch, ErrorCode code, std::string message);
    void record_error(std::string_view request, ErrorCode code, std::string message);
    void fire_backoffs(Now now);
    // Schedules another attempt after a backoff; when attempts are used up or the
    // attempt would start after the overall deadline, fails the fetch instead and
    // returns false.
    bool retry_or_fail(Fetch fetch, RetryKind kind, std::string_view why, Now now);
    void settle(Fetch fetch, SlotState state);
    void fail(Fetch fetch, ErrorCode code, std::string message);
    Outcome decide_outcome() const;

    // seeder_imds.cpp: token, IMDSv1 fallback, metadata items, role and region.
    bool imds_needed() const;
    bool wants_region_from_imds() const;
    bool wants_credentials_from_imds() const;
    void send_token(Now now);
    void send_metadata_batch(Now now);
    void send_imds_get(Fetch fetch, Now now);
    void on_token_response(const HttpResponse& response, Now now);
    // status 0: the transport failed; `what` says how, for people.
    void on_token_failure(int status, std::optional<TransportError> transport, std::string what,
                          Now now);
    void fall_back_to_v1(std::string_view why, Now now);
    void fail_imds(std::string message);
    void imds_item_unavailable(Fetch fetch, Now now);
    void on_token_received(Secret token, Now now);
    void on_imds_response(Fetch fetch, const Outstanding& request, const HttpResponse& response,
                          Now now);
    void on_imds_failure(Fetch fetch, int status, std::optional<TransportError> transport, Now now);
    void on_unauthorized(Fetch fetch, const Outstanding& request, Now now);
    void accept_imds_item(Fetch fetch, std::string_view body, Now now);
    void on_item_missing(Fetch fetch, Now now);
    bool imds_work_pending() const;

    // seeder_kms.cpp: GenerateRandom rounds, reply checks, retries and skew.
    void enter_kms(std::string_view why, Now now);
    void send_generate_random(Now now);
    void on_kms_response(const HttpResponse& response, Now now);
    void on_kms_transport_error(TransportError error, Now now);
    void on_kms_rejected(ErrorCode code, std::string message, Now now);
    void on_kms_error_reply(const HttpResponse& response, Now now);
    void on_kms_addition_result(bool applied, Now now);
    bool kms_work_pending() const;

    SeederConfig m_config;
    std::optional<Error> m_config_error;
    Phase m_phase = Phase::not_started;
    MonoTime m_last_mono{0};
    TimerTable m_timers;
    JitterSource m_jitter;
    std::array<FetchSlot, fetch_count> m_slots{};
    std::map<RequestId, Outstanding> m_outstanding;
    std::map<AdditionId, PendingAddition> m_unacked;
    RequestId m_next_request_id = 1;
    AdditionId m_next_addition_id = 1;
    std::deque<Command> m_commands;
    std::deque<Event> m_events;
    Report m_report;

    // IMDS.
    Secret m_token;  // empty: IMDSv1, or no token yet
    std::uint64_t m_token_generation = 0;
    bool m_token_refresh = false;  // the token in flight replaces one a 401 refused
    bool m_imds_unusable = false;
    std::string m_role;
    std::optional<Credentials> m_credentials;
    std::optional<std::string> m_region;

    // KMS.
    std::size_t m_kms_accepted = 0;     // bytes that passed the checks and were emitted
    std::size_t m_kms_applied = 0;      // of which the sink applied
    std::size_t m_kms_round_bytes = 0;  // NumberOfBytes of the round in flight
    std::optional<SecureBytes> m_previous_plaintext;
    bool m_kms_awaiting_ack = false;
    WallTime m_skew{0};  // added to the wall clock when signing
    bool m_skew_corrected = false;

    std::map<std::string, SourceTally> m_sources;
};

}  // namespace ec2seed::detail
