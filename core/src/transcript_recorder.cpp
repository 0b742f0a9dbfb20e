// Recording a real run as a transcript without secrets (transcript.h): every
// input is copied with placeholders for secrets and metadata values, and a second
// Seeder, configured with placeholder credentials, runs on the copies.
#include <algorithm>
#include <utility>

#include <boost/json/serialize.hpp>

#include "ec2seed/core/base64.h"
#include "ec2seed/core/kms.h"
#include "peer_input.h"
#include "transcript_text.h"

namespace ec2seed::transcript {

namespace {

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_base64(char c) {
    return is_alnum(c) || c == '+' || c == '/';
}

// Each character for which `replace` holds becomes `with`; length and every other
// character (separators, padding, white space) stay, so a valid value stays valid
// and an invalid one invalid.
template <typename Predicate>
std::string mask(std::string_view text, Predicate replace, char with) {
    std::string masked(text);
    std::replace_if(masked.begin(), masked.end(), replace, with);
    return masked;
}

// local-ipv4: each octet keeps its length and whether it starts with a zero, so a
// leading zero stays (invalid) and 0..255 stays in range.
std::string mask_ipv4(std::string_view text) {
    std::string masked(text);
    for (std::size_t i = 0; i < masked.size(); ++i) {
        if (!is_digit(masked[i])) {
            continue;
        }
        const bool run_start = i == 0 || !is_digit(masked[i - 1]);
        masked[i] = run_start ? (masked[i] == '0' ? '0' : '1') : '7';
    }
    return masked;
}

std::string generic_mask(std::string_view text) {
    return mask(text, is_alnum, 'x');
}

// Replaces a string field of a JSON object through `transform`; other fields stay.
template <typename Transform>
void replace_string(boost::json::object& object, std::string_view key, Transform transform) {
    if (auto* value = object.if_contains(key); value != nullptr && value->is_string()) {
        const std::string replaced = transform(std::string_view(value->get_string()));
        *value = boost::json::string(replaced, value->storage());
    }
}

// The identity document: the region stays (reports show it), the instance id keeps
// its shape, every other string is masked.
std::string mask_document(std::string_view body) {
    auto document = ec2seed::detail::parse_json_object(body, "identity document");
    if (!document) {
        return generic_mask(body);
    }

    for (auto& member : *document) {
        const std::string_view key = member.key();
        if (key == "region" || !member.value().is_string()) {
            continue;
        }
        const std::string_view value = member.value().get_string();
        const std::string replaced = key == "instanceId"
                                         ? mask(value, is_hex, '0')
                                         : mask(mask(value, is_digit, '0'), is_alnum, 'x');
        member.value() = boost::json::string(replaced, member.value().storage());
    }
    return boost::json::serialize(*document);
}

// Role credentials: the access key id keeps its first four characters (ASIA,
// AKIA), the secret key and the session token become 'x'.
std::string mask_credentials(std::string_view body) {
    auto credentials = ec2seed::detail::parse_json_object(body, "role credentials");
    if (!credentials) {
        return generic_mask(body);
    }

    replace_string(*credentials, "AccessKeyId", [](std::string_view id) {
        const std::size_t kept = std::min<std::size_t>(4, id.size());
        return std::string(id.substr(0, kept)) + mask(id.substr(kept), is_alnum, 'X');
    });
    replace_string(*credentials, "SecretAccessKey",
                   [](std::string_view key) { return std::string(key.size(), 'x'); });
    replace_string(*credentials, "Token",
                   [](std::string_view token) { return std::string(token.size(), 'x'); });
    return boost::json::serialize(*credentials);
}

// NumberOfBytes of a GenerateRandom request we emitted.
std::size_t requested_bytes(const HttpRequest& request) {
    const auto body = ec2seed::detail::parse_json_object(request.body, "GenerateRandom request");
    if (!body) {
        return 0;
    }
    const auto* count = body->if_contains("NumberOfBytes");
    return count != nullptr && count->is_int64() ? static_cast<std::size_t>(count->get_int64()) : 0;
}

}  // namespace

struct TranscriptRecorder::State {
    explicit State(const SeederConfig& config) : writer(redact_config(config)) {}

    HttpResponse substitute(const HttpRequest& request, const HttpResponse& response);
    SecureBytes plaintext_placeholder(const SecureBytes& original, std::size_t requested);
    std::string mask_plaintext(std::string_view body, std::size_t requested);

    detail::Writer writer;
    bool diverged = false;
    bool closed = false;
    // KMS: the previous decoded reply of the requested length and its placeholder,
    // so that a repeat stays a repeat.
    std::optional<SecureBytes> previous_plaintext;
    SecureBytes previous_placeholder;
    std::uint32_t placeholders_made = 0;
};

SecureBytes TranscriptRecorder::State::plaintext_placeholder(const SecureBytes& original,
                                                             std::size_t requested) {
    const bool right_length = original.size() == requested;
    const bool zero =
        std::all_of(original.begin(), original.end(), [](std::uint8_t b) { return b == 0; });
    if (right_length && previous_plaintext && *previous_plaintext == original) {
        return previous_placeholder;
    }

    // All zero stays all zero; anything else becomes a pattern that is never zero
    // and differs from the previous one.
    SecureBytes placeholder(original.size(), 0);
    if (!zero) {
        placeholders_made += 1;
        for (std::size_t i = 0; i < placeholder.size(); ++i) {
            placeholder[i] = static_cast<std::uint8_t>((i + placeholders_made) % 255 + 1);
        }
    }
    if (right_length) {
        previous_plaintext = original;
        previous_placeholder = placeholder;
    }
    return placeholder;
}

std::string TranscriptRecorder::State::mask_plaintext(std::string_view body,
                                                      std::size_t requested) {
    auto reply = ec2seed::detail::parse_json_object(body, "GenerateRandom reply");
    if (!reply) {
        return mask(body, is_base64, 'A');
    }

    replace_string(*reply, "Plaintext", [this, requested](std::string_view text) {
        auto decoded = base64_decode_strict(text, kms::max_reply_bytes);
        if (!decoded) {
            return mask(text, is_base64, 'A');
        }
        return base64_encode(plaintext_placeholder(*decoded, requested));
    });
    return boost::json::serialize(*reply);
}

HttpResponse TranscriptRecorder::State::substitute(const HttpRequest& request,
                                                   const HttpResponse& response) {
    HttpResponse copy;
    copy.status = response.status;
    copy.headers = response.headers;

    // Error replies hold no secret (IMDS's error pages, KMS's error JSON).
    const std::string_view body = body_view(response);
    std::string masked(body);
    if (response.status == 200) {
        const std::string_view label = request.label;
        if (label == "imds/token") {
            masked = mask(
                body, [](char c) { return c > ' ' && c < 0x7f; }, 'x');
        } else if (label == "imds/instance-id") {
            masked = mask(body, is_hex, '0');
        } else if (label == "imds/local-ipv4") {
            masked = mask_ipv4(body);
        } else if (label == "imds/mac") {
            masked = mask(
                body, [](char c) { return is_hex(c) || (c >= 'A' && c <= 'F'); }, '0');
        } else if (label == "imds/signature") {
            masked = mask(body, is_base64, 'A');
        } else if (label == "imds/document") {
            masked = mask_document(body);
        } else if (label == "imds/credentials") {
            masked = mask_credentials(body);
        } else if (label == "kms/generate-random") {
            masked = mask_plaintext(body, requested_bytes(request));
        }
    }
    copy.body.assign(masked.begin(), masked.end());
    return copy;
}

TranscriptRecorder::TranscriptRecorder(const SeederConfig& config)
    : m_state(std::make_unique<State>(config)) {
    m_state->writer.comment(
        "recorded by ec2seed --record; secrets and metadata values are "
        "placeholders");
}

TranscriptRecorder::~TranscriptRecorder() = default;
TranscriptRecorder::TranscriptRecorder(TranscriptRecorder&&) noexcept = default;
TranscriptRecorder& TranscriptRecorder::operator=(TranscriptRecorder&&) noexcept = default;

void TranscriptRecorder::on_start(Now now) {
    if (!m_state->closed) {
        m_state->writer.apply(Input{now, StartInput{}});
    }
}

void TranscriptRecorder::on_response(RequestId id, const HttpResponse& response, Now now) {
    if (m_state->closed) {
        return;
    }

    const auto& outstanding = m_state->writer.outstanding();
    const auto request = outstanding.find(id);
    ResponseInput input;
    input.id = id;
    if (request == outstanding.end()) {
        // Not a request of the recorded copy: it went another way.
        m_state->diverged = true;
        input.response.status = response.status;
        input.response.headers = response.headers;
        const std::string masked = generic_mask(body_view(response));
        input.response.body.assign(masked.begin(), masked.end());
    } else {
        input.response = m_state->substitute(request->second, response);
    }
    m_state->writer.apply(Input{now, std::move(input)});
}

void TranscriptRecorder::on_transport_error(RequestId id, TransportError error, Now now) {
    if (m_state->closed) {
        return;
    }
    if (m_state->writer.outstanding().count(id) == 0) {
        m_state->diverged = true;
    }
    m_state->writer.apply(Input{now, TransportErrorInput{id, error}});
}

void TranscriptRecorder::on_entropy_result(AdditionId id, const EntropyResult& result, Now now) {
    if (!m_state->closed) {
        m_state->writer.apply(Input{now, EntropyResultInput{id, result}});
    }
}

void TranscriptRecorder::on_timeout(Now now) {
    if (!m_state->closed) {
        m_state->writer.apply(Input{now, TimeoutInput{}});
    }
}

void TranscriptRecorder::finish(const Report& real_report) {
    if (m_state->closed) {
        return;
    }

    const Report& recorded = m_state->writer.seeder().report();
    const bool same =
        recorded.outcome == real_report.outcome && recorded.requests == real_report.requests &&
        recorded.retries == real_report.retries && recorded.kms.calls == real_report.kms.calls &&
        recorded.kms.bytes == real_report.kms.bytes &&
        recorded.sources.size() == real_report.sources.size() &&
        recorded.errors.size() == real_report.errors.size();
    if (!same) {
        m_state->diverged = true;
    }
    if (m_state->diverged) {
        m_state->writer.comment(
            "note: with placeholders the run went another way than the real "
            "one; the real report said outcome " +
            std::string(to_string(real_report.outcome)) + ", " +
            std::to_string(real_report.requests) + " requests");
    }
    m_state->writer.close();
    m_state->closed = true;
}

bool TranscriptRecorder::diverged() const {
    return m_state->diverged;
}

std::string TranscriptRecorder::text() const {
    return m_state->writer.text();
}

}  // namespace ec2seed::transcript
