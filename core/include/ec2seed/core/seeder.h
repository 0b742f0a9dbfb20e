// The seeding state machine.
//
// ec2seed fills the kernel's random pool in two phases:
//   1. IMDS (plain HTTP, before any TLS library starts): a session token, then
//      instance-id, local-ipv4, mac and the identity document's signature. Each
//      item is whitened (SHA-1 by default) and added with the configured credit.
//   2. KMS GenerateRandom (HTTPS, SigV4-signed with the instance role's or the
//      given credentials), in rounds of at most 1024 bytes, added with 8 bits of
//      credit a byte. No HTTPS request leaves before every phase-1 addition has
//      been acknowledged, so the TLS library seeds itself from a fed pool.
//
// The Seeder does no I/O. The driver owns the clocks, the transport and the sink:
//
//   Seeder seeder(config);
//   seeder.start(now);
//   while (!seeder.finished()) {
//       while (auto command = seeder.poll_command()) { ...send it, or add entropy... }
//       while (auto event = seeder.poll_event()) { ...log it... }
//       ...wait for a response, an entropy result, or seeder.next_deadline()...
//       seeder.handle_response(id, response, now);   // or handle_transport_error,
//                                                    // handle_entropy_result,
//                                                    // handle_timeout
//   }
//   seeder.report();
//
// Every handle_* takes the time at which the input happened. Inputs may arrive in
// any order among the requests in flight. An input for an unknown or already
// answered request is ignored (and reported as an event). handle_timeout() at a
// time before next_deadline() does nothing.
//
// Failures and retries (core/src/seeder_imds.cpp and seeder_kms.cpp hold the rules):
// - IMDS token: 400 fails IMDS (no fallback); 403, 404, 405, 5xx, timeout or refused
//   fall back to IMDSv1 when allowed. When not allowed, 503 and refused connections
//   (IMDS still coming up at boot) are retried with a 0.5-1 x base_delay backoff
//   until the overall deadline, not limited to max_attempts; other 5xx and
//   transport errors get standard retries; the rest fails IMDS.
// - IMDS GETs: 503 and refused are retried the same way until the deadline; other
//   5xx and transport errors get standard retries; 404 means missing (an item is
//   skipped, the region is read from the identity document instead, no role means
//   no phase 2); 401 drops the token, fetches a new one and retries the GET once.
// - KMS: AWS standard mode (max_attempts in all, full-jitter backoff from the
//   jitter seed) for throttling, transient errors, transport errors and replies that
//   fail a check; fatal errors and TLS failures end phase 2. A skewed clock is
//   corrected once, from the reply's Date header or message, and the request is
//   signed again at once. A failed KMS addition ends phase 2.
// - The overall deadline abandons whatever is outstanding and ends the run.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "ec2seed/core/config.h"
#include "ec2seed/core/entropy.h"
#include "ec2seed/core/http.h"
#include "ec2seed/core/report.h"
#include "ec2seed/core/result.h"
#include "ec2seed/core/time.h"

namespace ec2seed {

// What the driver must do next.
using Command = std::variant<HttpRequest, EntropyAddition>;

enum class EventLevel : std::uint8_t { debug, info, warning, error };

// Something worth telling a person about the run ("IMDSv2 token refused with 403;
// falling back to IMDSv1"). Messages never hold secret values.
struct Event {
    EventLevel level = EventLevel::info;
    std::string message;
};

class Seeder final {
  public:
    explicit Seeder(SeederConfig config);
    ~Seeder();
    Seeder(Seeder&&) noexcept;
    Seeder& operator=(Seeder&&) noexcept;
    Seeder(const Seeder&) = delete;
    Seeder& operator=(const Seeder&) = delete;

    // Checks the configuration. A Seeder built from a config that fails this
    // finishes at start() with outcome failed and the error in the report;
    // drivers call it first to exit with a usage error before anything is sent.
    static Status validate(const SeederConfig& config);

    // Begins the run. Call once, first.
    void start(Now now);

    // The answer to a request this Seeder emitted.
    void handle_response(RequestId id, HttpResponse response, Now now);
    void handle_transport_error(RequestId id, TransportError error, Now now);

    // The sink's result for an addition this Seeder emitted.
    void handle_entropy_result(AdditionId id, const EntropyResult& result, Now now);

    // Call at or after next_deadline(). Earlier calls do nothing.
    void handle_timeout(Now now);

    // The next command, or nullopt when there is nothing to do until an input.
    std::optional<Command> poll_command();

    // The next event to log, or nullopt.
    std::optional<Event> poll_event();

    // When the driver must call handle_timeout() if no other input arrives first;
    // nullopt once finished().
    std::optional<MonoTime> next_deadline() const;

    // True once the run has ended and no further command will be emitted.
    bool finished() const;

    // The report; final once finished().
    const Report& report() const;

  private:
    struct State;
    std::unique_ptr<State> m_state;
};

}  // namespace ec2seed
