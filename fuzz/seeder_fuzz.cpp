// Drives the seeding state machine with fuzzer-chosen inputs: which request is
// answered and how (status, Date header, a healthy body or the fuzzer's bytes, a
// KMS reply that is zero, repeated or the wrong length), transport errors, entropy
// results, stray inputs and clock jumps. Checks the seeder's invariants after
// every step and aborts on the first violation.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "ec2seed/core/base64.h"
#include "ec2seed/core/kms.h"
#include "ec2seed/core/seeder.h"

namespace {

using namespace ec2seed;

constexpr std::int64_t epoch = 1796313600;  // 2026-12-03T16:00:00Z
constexpr std::string_view token = "AQAEAJzjxf0HxxhkK7ZdIc6lj0MGRqb1nphJZ0tKq9O2-RtGlJPm4Q==";
constexpr std::string_view secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
constexpr std::string_view session_token = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENw0KZXhhbXBsZQ==";
constexpr int max_steps = 3000;

void require(bool holds, const char* invariant) {
    if (!holds) {
        std::fprintf(stderr, "seeder invariant violated: %s\n", invariant);
        std::abort();
    }
}

HttpResponse reply(int status, std::string_view body, std::vector<HttpHeader> headers = {}) {
    HttpResponse response;
    response.status = status;
    response.headers = std::move(headers);
    response.body.assign(body.begin(), body.end());
    return response;
}

std::string healthy_body(const std::string& label) {
    if (label == "imds/token")
        return std::string(token);
    if (label == "imds/instance-id")
        return "i-0a1b2c3d4e5f60718\n";
    if (label == "imds/local-ipv4")
        return "172.31.29.17";
    if (label == "imds/mac")
        return "0e:3f:9a:12:7c:41";
    if (label == "imds/signature")
        return "4SAL5SxPRU8Vi+VdIdkXools6HCwva4m\nv2xOLI5Ej3CGIaRk==\n";
    if (label == "imds/region")
        return "us-east-1";
    if (label == "imds/document")
        return R"({"region":"eu-west-1","instanceId":"i-0123456789abcdef0"})";
    if (label == "imds/role")
        return "ec2seed-role";
    if (label == "imds/credentials") {
        return R"({"Code":"Success","AccessKeyId":"ASIAQ3EXAMPLE7ROLEKEY","SecretAccessKey":")" +
               std::string(secret_key) + R"(","Token":")" + std::string(session_token) +
               R"(","Expiration":"2026-12-03T22:03:31Z"})";
    }
    return "{}";
}

// Fuzzer-chosen text that happens to hold one of the test secrets would make the
// secret a metadata value; take it out, so that the secrets are only ever secrets.
std::string without_secrets(std::string text) {
    for (const std::string_view secret : {token, secret_key, session_token}) {
        for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret)) {
            text.erase(at, 1);
        }
    }
    return text;
}

std::size_t requested_bytes(const HttpRequest& request) {
    const std::size_t colon = request.body.find(':');
    return colon == std::string::npos ? 0
                                      : std::strtoul(request.body.c_str() + colon + 1, nullptr, 10);
}

class Harness {
  public:
    Harness(FuzzedDataProvider& input, SeederConfig config)
        : m_in(input), m_config(config), m_seeder(std::move(config)) {}

    void run() {
        m_seeder.start(now());
        drain();

        for (int step = 0; step < max_steps && !m_seeder.finished(); ++step) {
            act();
            drain();
            // An input at or after the overall deadline ends the run.
            require(m_now < m_config.overall_deadline.count() || m_seeder.finished(),
                    "the run ends at the overall deadline");
        }

        // Out of fuzzer data: a well-behaved driver (answers time out, wake-ups
        // at each deadline) must see the run end within a bounded number of steps.
        for (int step = 0; step < max_steps && !m_seeder.finished(); ++step) {
            if (!m_requests.empty()) {
                const HttpRequest request = m_requests.begin()->second;
                m_requests.erase(m_requests.begin());
                m_now = std::max<std::int64_t>(m_now, request.deadline.count());
                m_seeder.handle_transport_error(request.id, TransportError::timed_out, now());
            } else if (!m_additions.empty()) {
                const AdditionId id = m_additions.begin()->first;
                m_additions.erase(m_additions.begin());
                m_seeder.handle_entropy_result(id, EntropyResult{true, ""}, now());
            } else {
                const auto next = m_seeder.next_deadline();
                require(next.has_value(), "an unfinished run has a next deadline");
                m_now = std::max<std::int64_t>(m_now, next->count());
                m_seeder.handle_timeout(now());
            }
            drain();
        }
        require(m_seeder.finished(), "the run ends within a bounded number of steps");

        // Nothing after the end; the report adds up.
        m_seeder.handle_timeout(Now{MonoTime{m_now + 100000}, WallTime{epoch + 1000}});
        require(!m_seeder.poll_command().has_value(), "no command after the end");
        const Report& report = m_seeder.report();
        require(report.kms.bytes <= m_config.kms_bytes, "no more KMS bytes than wanted");
        for (const SourceReport& source : report.sources) {
            require(source.credit_bits <= source.bytes * 8, "report credit within 8 bits a byte");
        }
    }

  private:
    Now now() const { return Now{MonoTime{m_now}, WallTime{epoch + m_wall_offset + m_now / 1000}}; }

    void act() {
        switch (m_in.ConsumeIntegralInRange(0, 6)) {
            case 0: {  // wake at the next deadline, or a little before it
                const auto next = m_seeder.next_deadline();
                require(next.has_value(), "an unfinished run has a next deadline");
                const std::int64_t early = m_in.ConsumeIntegralInRange<std::int64_t>(0, 5);
                m_now = std::max<std::int64_t>(m_now, next->count() - early);
                m_seeder.handle_timeout(now());
                break;
            }
            case 1:
            case 2:
                answer();
                break;
            case 3:
                transport_error();
                break;
            case 4:
                entropy_result();
                break;
            case 5: {  // the clock jumps, and the wall clock may step (NTP)
                m_now += m_in.ConsumeIntegralInRange<std::int64_t>(0, 40000);
                m_wall_offset += m_in.ConsumeIntegralInRange<std::int64_t>(-900, 900);
                m_seeder.handle_timeout(now());
                break;
            }
            default: {  // stray inputs
                const auto id = m_in.ConsumeIntegral<std::uint64_t>();
                if (m_requests.count(id) == 0) {
                    m_seeder.handle_response(id, reply(200, "{}"), now());
                }
                if (m_additions.count(id) == 0) {
                    m_seeder.handle_entropy_result(id, EntropyResult{true, ""}, now());
                }
                break;
            }
        }
    }

    HttpRequest take_request() {
        auto it = m_requests.begin();
        std::advance(it, m_in.ConsumeIntegralInRange<std::size_t>(0, m_requests.size() - 1));
        HttpRequest request = it->second;
        m_requests.erase(it);
        // A transport answers by the request's deadline.
        m_now = std::min<std::int64_t>(m_now + m_in.ConsumeIntegralInRange<std::int64_t>(0, 3000),
                                       std::max<std::int64_t>(m_now, request.deadline.count()));
        return request;
    }

    void answer() {
        if (m_requests.empty()) {
            return;
        }
        const HttpRequest request = take_request();

        static constexpr int statuses[] = {200, 200, 200, 400, 401, 403, 404, 405, 429, 500, 503};
        const int status = m_in.ConsumeBool() ? statuses[m_in.ConsumeIntegralInRange(0, 10)]
                                              : m_in.ConsumeIntegralInRange(100, 599);
        std::vector<HttpHeader> headers;
        if (m_in.ConsumeBool()) {
            headers.push_back({"Date",
                               m_in.ConsumeBool()
                                   ? "Thu, 03 Dec 2026 16:20:00 GMT"
                                   : without_secrets(m_in.ConsumeRandomLengthString(40)),
                               false});
        }
        if (m_in.ConsumeBool()) {
            headers.push_back(
                {"x-amzn-RequestId", without_secrets(m_in.ConsumeRandomLengthString(40)), false});
        }

        std::string body;
        const std::size_t wanted = requested_bytes(request);
        switch (m_in.ConsumeIntegralInRange(0, 3)) {
            case 0:
                body = healthy_body(request.label);
                break;
            case 1:
                body = without_secrets(m_in.ConsumeRandomLengthString(2048));
                break;
            default: {
                // A GenerateRandom reply: fresh, zero, a repeat, or the wrong length.
                SecureBytes bytes(wanted + (m_in.ConsumeIntegralInRange(0, 5) == 0 ? 1 : 0));
                const int kind = m_in.ConsumeIntegralInRange(0, 3);
                for (std::size_t i = 0; i < bytes.size(); ++i) {
                    bytes[i] = kind == 0 ? 0 : static_cast<std::uint8_t>(i * 7 + ++m_serial);
                }
                if (kind == 1 && m_previous) {
                    bytes = *m_previous;
                }
                body = R"({"Plaintext":")" + base64_encode(bytes) + R"("})";
                break;
            }
        }
        if (request.label == "kms/generate-random" && status == 200) {
            judge_kms_reply(body, wanted);
        }
        m_seeder.handle_response(request.id, reply(status, body, headers), now());
    }

    // The oracle: which replies may be credited (decoded to the asked length, not
    // all zero, not equal to the previous decoded reply).
    void judge_kms_reply(std::string_view body, std::size_t wanted) {
        auto decoded = kms::parse_generate_random_reply(body, wanted);
        if (!decoded) {
            return;
        }
        bool zero = true;
        for (const std::uint8_t b : *decoded) {
            zero = zero && b == 0;
        }
        const bool repeated = m_previous && *m_previous == *decoded;
        if (!zero && !repeated) {
            m_creditable[std::string(decoded->begin(), decoded->end())] += 1;
        }
        m_previous = *decoded;
    }

    void transport_error() {
        if (m_requests.empty()) {
            return;
        }
        const HttpRequest request = take_request();
        const auto error = static_cast<TransportError>(
            m_in.ConsumeIntegralInRange<int>(0, static_cast<int>(TransportError::other)));
        if (error == TransportError::timed_out) {
            m_now = std::max<std::int64_t>(m_now, request.deadline.count());
        }
        m_seeder.handle_transport_error(request.id, error, now());
    }

    void entropy_result() {
        if (m_additions.empty()) {
            return;
        }
        auto it = m_additions.begin();
        std::advance(it, m_in.ConsumeIntegralInRange<std::size_t>(0, m_additions.size() - 1));
        const AdditionId id = it->first;
        m_additions.erase(it);
        const bool applied = m_in.ConsumeBool();
        m_seeder.handle_entropy_result(id, EntropyResult{applied, applied ? "" : "EPERM"}, now());
    }

    void drain() {
        while (auto command = m_seeder.poll_command()) {
            if (auto* request = std::get_if<HttpRequest>(&*command)) {
                check_request(*request);
                m_requests[request->id] = *request;
            } else {
                auto& addition = std::get<EntropyAddition>(*command);
                check_addition(addition);
                m_additions[addition.id] = addition.source;
            }
        }
        while (auto event = m_seeder.poll_event()) {
            for (const std::string_view secret : {token, secret_key, session_token}) {
                if (event->message.find(secret) != std::string::npos) {
                    std::fprintf(stderr, "event: %s\n", event->message.c_str());
                    require(false, "no secret in events");
                }
            }
        }
    }

    void check_request(const HttpRequest& request) {
        require(request.deadline.count() <= m_config.overall_deadline.count(),
                "every request ends by the overall deadline");
        if (request.label != "kms/generate-random") {
            return;
        }

        // Phase 2 only after every phase-1 addition was acknowledged, and no IMDS
        // request still out.
        require(m_additions.empty(), "no HTTPS request before the phase-1 acknowledgements");
        for (const auto& [id, other] : m_requests) {
            require(other.label.rfind("imds/", 0) != 0, "no KMS request while IMDS is asked");
        }
        const auto authorization = find_header(request.headers, "Authorization");
        require(authorization.has_value(), "KMS requests are signed");
        require(authorization->rfind("AWS4-HMAC-SHA256 Credential=", 0) == 0 &&
                    authorization->find("/kms/aws4_request, SignedHeaders=") != std::string::npos &&
                    authorization->size() > 76 &&
                    authorization->substr(authorization->size() - 76, 12) == ", Signature=",
                "the Authorization header is complete");
        require(find_header(request.headers, "X-Amz-Date").has_value(), "X-Amz-Date is sent");
    }

    void check_addition(const EntropyAddition& addition) {
        require(addition.credit_bits <= addition.bytes.size() * 8, "at most 8 bits a byte");
        if (addition.source != "kms/generate-random") {
            return;
        }
        const std::string bytes(addition.bytes.begin(), addition.bytes.end());
        const auto it = m_creditable.find(bytes);
        require(it != m_creditable.end() && it->second > 0, "only checked KMS bytes are credited");
        it->second -= 1;
    }

    FuzzedDataProvider& m_in;
    SeederConfig m_config;
    Seeder m_seeder;
    std::int64_t m_now = 0;
    std::int64_t m_wall_offset = 0;
    std::map<RequestId, HttpRequest> m_requests;
    std::map<AdditionId, std::string> m_additions;
    std::map<std::string, int> m_creditable;
    std::optional<SecureBytes> m_previous;
    std::uint8_t m_serial = 0;
};

SeederConfig fuzzed_config(FuzzedDataProvider& in) {
    SeederConfig config;
    config.imds_v1 = in.ConsumeBool() ? ImdsV1Policy::allow : ImdsV1Policy::never;
    config.skip_metadata = in.ConsumeIntegralInRange(0, 3) == 0;
    config.skip_kms = !config.skip_metadata && in.ConsumeIntegralInRange(0, 3) == 0;
    if (in.ConsumeBool()) {
        config.region = "us-west-2";
    }
    if (in.ConsumeBool()) {
        config.credentials = Credentials{"AKIAIOSFODNN7EXAMPLE", Secret(secret_key),
                                         in.ConsumeBool() ? Secret(session_token) : Secret()};
    }
    if (in.ConsumeIntegralInRange(0, 7) == 0) {
        config.custom_key_store_id = "cks-1234567890abcdef0";
    }
    config.kms_bytes = in.ConsumeIntegralInRange<std::size_t>(1, 3000);
    config.overall_deadline = MonoTime{in.ConsumeIntegralInRange(100, 30000)};
    config.retry.max_attempts = in.ConsumeIntegralInRange(1, 5);
    config.retry.base_delay = MonoTime{in.ConsumeIntegralInRange(1, 2000)};
    config.retry.max_backoff = config.retry.base_delay * in.ConsumeIntegralInRange(1, 20);
    config.jitter_seed = in.ConsumeIntegral<std::uint64_t>();
    return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    SeederConfig config = fuzzed_config(input);
    if (!Seeder::validate(config)) {
        return 0;
    }
    Harness(input, std::move(config)).run();
    return 0;
}
