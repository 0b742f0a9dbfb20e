// Test support for the seeder: a driver on a virtual clock and a scripted world
// (IMDS and KMS answering as a healthy instance would). Used by seeder_test.cpp and
// the replay tests; it sees only the public API.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ec2seed/core/base64.h"
#include "ec2seed/core/seeder.h"

namespace ec2seed::testing {

// 2026-12-03T16:00:00Z.
inline constexpr std::int64_t test_epoch = 1796313600;

inline Now at_ms(std::int64_t mono_ms) {
    return Now{MonoTime{mono_ms}, WallTime{test_epoch + mono_ms / 1000}};
}

inline constexpr std::string_view token_value =
    "AQAEAJzjxf0HxxhkK7ZdIc6lj0MGRqb1nphJZ0tKq9O2-RtGlJPm4Q==";
inline constexpr std::string_view secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
inline constexpr std::string_view session_token =
    "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENw0KZXhhbXBsZQ==";
inline constexpr std::string_view signature_text =
    "4SAL5SxPRU8Vi+VdIdkXools6HCwva4mv2xOLI5Ej3CGIaRkCWTDhHYJ/nMA6uGT\n"
    "cCpMS8uTQEbeVOpDahEe2m4vHL9MwReYU+QpS7xIxZh2nOQKE5DQ/AV8axwVpgA4\n";

inline HttpResponse response(int status, std::string_view body,
                             std::vector<HttpHeader> headers = {}) {
    HttpResponse reply;
    reply.status = status;
    reply.headers = std::move(headers);
    reply.body.assign(body.begin(), body.end());
    return reply;
}

inline std::string credentials_json() {
    return std::string(
               R"({"Code":"Success","LastUpdated":"2026-12-03T15:41:07Z","Type":"AWS-HMAC",)") +
           R"("AccessKeyId":"ASIAQ3EXAMPLE7ROLEKEY","SecretAccessKey":")" +
           std::string(secret_key) + R"(","Token":")" + std::string(session_token) +
           R"(","Expiration":"2026-12-03T22:03:31Z"})";
}

// NumberOfBytes of a GenerateRandom request body {"NumberOfBytes":N...}.
inline std::size_t requested_bytes(const HttpRequest& request) {
    const std::size_t at = request.body.find(':');
    return at == std::string::npos ? 0 : std::stoul(request.body.substr(at + 1));
}

// Distinct, never all-zero plaintexts: counter-derived bytes.
inline SecureBytes plaintext(std::size_t size, std::uint64_t serial) {
    SecureBytes bytes(size);
    std::uint64_t state = serial * 0x9e3779b97f4a7c15ULL + 1;
    for (std::uint8_t& byte : bytes) {
        state ^= state << 13U;
        state ^= state >> 7U;
        state ^= state << 17U;
        byte = static_cast<std::uint8_t>(state >> 24U);
    }
    bytes[0] = static_cast<std::uint8_t>(bytes[0] | 1U);
    return bytes;
}

inline HttpResponse kms_reply(const SecureBytes& bytes, std::string_view request_id = "req-1") {
    return response(200, R"({"Plaintext":")" + base64_encode(bytes) + R"("})",
                    {{"x-amzn-RequestId", std::string(request_id), false}});
}

// What a healthy instance answers to each request label.
class HealthyWorld {
  public:
    HttpResponse answer(const HttpRequest& request) {
        const std::string& label = request.label;
        if (label == "imds/token")
            return response(200, token_value);
        if (label == "imds/instance-id")
            return response(200, "i-0a1b2c3d4e5f60718");
        if (label == "imds/local-ipv4")
            return response(200, "172.31.29.17");
        if (label == "imds/mac")
            return response(200, "0e:3f:9a:12:7c:41");
        if (label == "imds/signature")
            return response(200, signature_text);
        if (label == "imds/region")
            return response(200, "us-east-1");
        if (label == "imds/document")
            return response(200, R"({"region":"eu-central-1","instanceId":"i-0a1b2c3d4e5f60718"})");
        if (label == "imds/role")
            return response(200, "ec2seed-instance-role\n");
        if (label == "imds/credentials")
            return response(200, credentials_json());
        if (label == "kms/generate-random") {
            last_plaintext = plaintext(requested_bytes(request), ++m_serial);
            return kms_reply(last_plaintext, "req-" + std::to_string(m_serial));
        }
        return response(500, "unknown label");
    }

    SecureBytes last_plaintext;

  private:
    std::uint64_t m_serial = 0;
};

// Runs a Seeder on a virtual clock and keeps what it emitted.
class Driver {
  public:
    explicit Driver(SeederConfig config) : seeder(std::move(config)) {}

    void start(std::int64_t ms = 0) {
        now_ms = ms;
        seeder.start(at_ms(ms));
        pump();
    }

    void respond(RequestId id, HttpResponse reply) {
        forget_request(id);
        seeder.handle_response(id, std::move(reply), at_ms(now_ms));
        pump();
    }

    void fail(RequestId id, TransportError error) {
        forget_request(id);
        seeder.handle_transport_error(id, error, at_ms(now_ms));
        pump();
    }

    void ack(AdditionId id, bool applied = true) {
        additions.erase(std::remove_if(additions.begin(), additions.end(),
                                       [id](const EntropyAddition& a) { return a.id == id; }),
                        additions.end());
        seeder.handle_entropy_result(id, EntropyResult{applied, applied ? "" : "EPERM"},
                                     at_ms(now_ms));
        pump();
    }

    void ack_all(bool applied = true) {
        while (!additions.empty()) {
            ack(additions.front().id, applied);
        }
    }

    // Answers the oldest outstanding request as the world would.
    void answer_oldest(HealthyWorld& world) {
        const HttpRequest request = requests.at(0);
        respond(request.id, world.answer(request));
    }

    // A wake-up at ms, due or not.
    void timeout_at(std::int64_t ms) {
        now_ms = std::max(now_ms, ms);
        seeder.handle_timeout(at_ms(now_ms));
        pump();
    }

    // The virtual clock jumps to the next deadline and wakes the seeder.
    bool wake() {
        const std::optional<MonoTime> next = seeder.next_deadline();
        if (!next) {
            return false;
        }
        now_ms = std::max(now_ms, static_cast<std::int64_t>(next->count()));
        seeder.handle_timeout(at_ms(now_ms));
        pump();
        return true;
    }

    // Takes the requests emitted since the last call.
    std::vector<HttpRequest> take_new_requests() {
        std::vector<HttpRequest> taken = std::move(fresh_requests);
        fresh_requests.clear();
        return taken;
    }

    std::optional<HttpRequest> outstanding(std::string_view label) const {
        for (const HttpRequest& request : requests) {
            if (request.label == label) {
                return request;
            }
        }
        return std::nullopt;
    }

    // Answers every outstanding request from the world and acknowledges every
    // addition, waking at deadlines, until the run ends or `bound` steps pass.
    int run(HealthyWorld& world, int bound = 1000) {
        int steps = 0;
        while (!seeder.finished() && steps++ < bound) {
            if (!requests.empty()) {
                const HttpRequest request = requests.front();
                respond(request.id, world.answer(request));
            } else if (!additions.empty()) {
                ack(additions.front().id);
            } else if (!wake()) {
                break;
            }
        }
        return steps;
    }

    Seeder seeder;
    std::int64_t now_ms = 0;
    std::vector<HttpRequest> requests;        // outstanding
    std::vector<HttpRequest> fresh_requests;  // emitted since take_new_requests()
    std::vector<HttpRequest> all_requests;
    std::vector<EntropyAddition> additions;  // unacknowledged
    std::vector<EntropyAddition> all_additions;
    std::vector<Event> events;

  private:
    void forget_request(RequestId id) {
        requests.erase(std::remove_if(requests.begin(), requests.end(),
                                      [id](const HttpRequest& r) { return r.id == id; }),
                       requests.end());
    }

    void pump() {
        while (std::optional<Command> command = seeder.poll_command()) {
            if (auto* request = std::get_if<HttpRequest>(&*command)) {
                requests.push_back(*request);
                fresh_requests.push_back(*request);
                all_requests.push_back(*request);
            } else {
                additions.push_back(std::get<EntropyAddition>(*command));
                all_additions.push_back(std::get<EntropyAddition>(*command));
            }
        }
        while (std::optional<Event> event = seeder.poll_event()) {
            events.push_back(std::move(*event));
        }
    }
};

}  // namespace ec2seed::testing
