// Transcripts: a run of the Seeder written down as text, to replay it byte for byte.
//
// A transcript holds the configuration, every input the driver handed the Seeder
// and every output the Seeder produced in answer, then the final report. Replaying
// one feeds its inputs to a fresh Seeder and renders what comes out; a replay
// passes when that rendering equals the file, comment lines aside. Everything here
// is pure: strings in, strings out; the caller reads and writes the files.
//
// Format (version 1). One item a line, UTF-8, "\n" line ends, no trailing blanks:
//
//   # any line starting with '#' is a comment; replay ignores it
//   ec2seed-transcript 1
//   config <key> <value>                  the SeederConfig, one field a line
//
//   in  start mono=0ms wall=2026-12-03T16:00:00Z
//   out request 1 imds/token PUT http://169.254.169.254:80/latest/api/token
//   out   deadline=2000ms max-response-bytes=65536
//   out   header X-aws-ec2-metadata-token-ttl-seconds: 21600
//   out   secret-header X-aws-ec2-metadata-token: AQAE...   (sensitive=true)
//   out   body {"NumberOfBytes":1024}
//   out addition 1 imds/mac credit=24 bytes=20
//   out   hex 0a1b...                     at most 32 bytes a line
//   out event info IMDSv2 session token received
//   out next-deadline 2000ms               or "none" once finished
//
//   in  response 1 status=200 mono=3ms wall=2026-12-03T16:00:00Z
//   in    header Content-Type: text/plain
//   in    body AQAE...                    body chunks, concatenated (see below)
//   in  transport-error 2 timed_out mono=2000ms wall=...
//   in  entropy-result 1 applied mono=4ms wall=...
//   in  entropy-result 2 failed mono=4ms wall=... reason=RNDADDENTROPY: EPERM
//   in  timeout mono=3000ms wall=...
//
//   report outcome complete
//   report ...                             the Report, one fact a line
//   end
//
// A body is split into chunks of at most 72 characters, one "body" line each, cut
// after every "\n". Bytes outside printable ASCII, '\', and a space ending a chunk
// are escaped as \n, \r, \t, \\ or \xHH. Credentials never appear: the config holds
// the access key id and, for the secret key and the session token, only
// "placeholder(<length>)", which stands for that many 'x' characters; a replay signs
// with the placeholders, so the Authorization values in a transcript are real
// signatures over them.
//
// Recording a real run (ec2seed --record FILE): TranscriptRecorder sees every input
// the driver hands its Seeder, replaces each secret and each metadata value in it
// with a placeholder of the same shape (the IMDS token, instance-id, local-ipv4,
// mac, the identity document and signature, role credentials, KMS Plaintext), and
// runs a second Seeder, configured with placeholder credentials, on those inputs.
// The file holds that second run: no secret, no byte that reached the pool, and it
// replays exactly, because it is a run. Placeholders keep each value's validity
// (a valid MAC stays a valid MAC; an all-zero or repeated KMS reply stays one), so
// the flow matches the real run; diverged() tells when it did not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ec2seed/core/config.h"
#include "ec2seed/core/entropy.h"
#include "ec2seed/core/http.h"
#include "ec2seed/core/report.h"
#include "ec2seed/core/result.h"
#include "ec2seed/core/seeder.h"
#include "ec2seed/core/time.h"

namespace ec2seed::transcript {

inline constexpr int format_version = 1;

// The inputs a driver hands a Seeder, one variant alternative per handle_* call.
struct StartInput {};
struct ResponseInput {
    RequestId id = 0;
    HttpResponse response;
};
struct TransportErrorInput {
    RequestId id = 0;
    TransportError error = TransportError::other;
};
struct EntropyResultInput {
    AdditionId id = 0;
    EntropyResult result;
};
struct TimeoutInput {};

struct Input {
    Now now;
    std::variant<StartInput, ResponseInput, TransportErrorInput, EntropyResultInput, TimeoutInput>
        what;
};

// What replay needs from a transcript: the configuration and the inputs. The
// outputs and the report in the file are what the replay is compared with.
struct Transcript {
    SeederConfig config;
    std::vector<Input> inputs;
};

// Reads the configuration and the inputs of a transcript; ignores comments and
// output lines. Errors: bad_field (the message names the line number and what
// was wrong: an unknown key, a malformed value, an input before the header...).
// The caller reports the error and treats the file as broken.
Result<Transcript> parse(std::string_view text);

// Feeds the inputs, in order, to a fresh Seeder built from the configuration,
// and renders the whole transcript: header, every input followed by the outputs
// it caused, and the final report. Never fails: an input the Seeder ignores is
// rendered all the same (the Seeder says so in an event).
std::string replay(const Transcript& transcript);

// The text without its comment lines: what a replay is compared with.
std::string strip_comments(std::string_view text);

// Where a replay first differs from the expected text (comments ignored), as
// "line N: expected '...', got '...'"; nullopt when they are equal.
std::optional<std::string> first_difference(std::string_view expected, std::string_view actual);

// The configuration as a transcript header, credentials as placeholders.
std::string render_config(const SeederConfig& config);

// The configuration a recording of a run with this one replays with: the secret
// key and the session token replaced by placeholders of the same length, the
// access key id by "AKIA"/"ASIA" and 'X's.
SeederConfig redact_config(const SeederConfig& config);

// The report as transcript lines ("report ..."), for logs and tests as well.
std::string render_report(const Report& report);

// Records a real run as a transcript holding no secret. The driver calls each
// on_* method with exactly what it passes the real Seeder, right after passing it,
// from start to finish, then writes text() to the file.
//
//   Seeder seeder(config);
//   TranscriptRecorder recorder(config);
//   seeder.start(now);                  recorder.on_start(now);
//   seeder.handle_response(id, r, now); recorder.on_response(id, r, now);
//   ...
//   recorder.finish(seeder.report());   write recorder.text() to FILE
//
// The recorder never fails: an input that does not fit its copy of the run is
// recorded all the same and marks the recording diverged.
class TranscriptRecorder final {
  public:
    explicit TranscriptRecorder(const SeederConfig& config);
    ~TranscriptRecorder();
    TranscriptRecorder(TranscriptRecorder&&) noexcept;
    TranscriptRecorder& operator=(TranscriptRecorder&&) noexcept;
    TranscriptRecorder(const TranscriptRecorder&) = delete;
    TranscriptRecorder& operator=(const TranscriptRecorder&) = delete;

    void on_start(Now now);
    void on_response(RequestId id, const HttpResponse& response, Now now);
    void on_transport_error(RequestId id, TransportError error, Now now);
    void on_entropy_result(AdditionId id, const EntropyResult& result, Now now);
    void on_timeout(Now now);

    // Closes the recording with the report of the recorded copy of the run, and
    // compares that with the real run's report (outcome, bytes, request counts);
    // a difference marks the recording diverged and is noted in a comment.
    void finish(const Report& real_report);

    // True when the placeholders took the recorded copy down another path than
    // the real run (a value that was invalid became valid, or the reverse). The
    // file still replays; it just tells another story. The app warns.
    bool diverged() const;

    // The transcript so far (complete once finish() was called).
    std::string text() const;

  private:
    struct State;
    std::unique_ptr<State> m_state;
};

}  // namespace ec2seed::transcript
