// KMS GenerateRandom messages and the classification of KMS error replies.
#include "ec2seed/core/kms.h"

#include <algorithm>
#include <array>

#include "ec2seed/core/base64.h"
#include "peer_input.h"

namespace ec2seed::kms {

namespace {

// KMS API Reference, CustomKeyStoreId: 1..64 characters.
constexpr std::size_t max_custom_key_store_id = 64;
// Type and message are quoted in logs; a peer chose them, so they are bounded.
constexpr std::size_t max_error_type = 128;
constexpr std::size_t max_error_message = 512;

// Error codes as the AWS SDKs class them. Throttling and transient codes are
// botocore's (retries/standard.py, ThrottledRetryableChecker and
// TransientRetryableChecker, python3-botocore 1.29); clock-skew codes are the AWS
// SDK for JavaScript v3's (@aws-sdk/service-error-classification, constants.ts).
constexpr std::array<std::string_view, 14> throttling_codes{
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

// botocore's transient codes, plus the two KMS documents as retryable (KMS API
// Reference, Common errors: KMSInternalException 500, DependencyTimeoutException 503).
constexpr std::array<std::string_view, 5> transient_codes{
    "RequestTimeout",       "RequestTimeoutException",    "PriorRequestNotComplete",
    "KMSInternalException", "DependencyTimeoutException",
};

// Codes that only a clock far from the service's produces.
constexpr std::array<std::string_view, 3> clock_skew_codes{
    "RequestExpired",
    "RequestInTheFuture",
    "RequestTimeTooSkewed",
};

// Codes the SDKs also count as clock skew, but which a wrong key or a wrong
// signature produces too. KMS answers a skewed clock with InvalidSignatureException
// and one of the messages below; any other message is a signing fault.
constexpr std::array<std::string_view, 3> signature_codes{
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "AuthFailure",
};
constexpr std::array<std::string_view, 2> clock_skew_messages{
    "Signature expired",
    "Signature not yet current",
};

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& list, std::string_view code) {
    return std::find(list.begin(), list.end(), code) != list.end();
}

bool starts_with_any(std::string_view text, const std::array<std::string_view, 2>& prefixes) {
    return std::any_of(prefixes.begin(), prefixes.end(), [&](std::string_view prefix) {
        return text.substr(0, prefix.size()) == prefix;
    });
}

// "com.amazonaws.kms#ThrottlingException" -> "ThrottlingException"; the
// x-amzn-ErrorType header's "Type:uri" form -> "Type".
std::string_view bare_type(std::string_view type) {
    const std::size_t hash = type.rfind('#');
    if (hash != std::string_view::npos) {
        type.remove_prefix(hash + 1);
    }
    return type.substr(0, type.find(':'));
}

ErrorKind classify(int status, std::string_view type, std::string_view message) {
    if (listed(throttling_codes, type)) {
        return ErrorKind::throttling;
    }
    if (listed(transient_codes, type)) {
        return ErrorKind::transient;
    }
    if (listed(clock_skew_codes, type)) {
        return ErrorKind::clock_skew;
    }
    if (listed(signature_codes, type) && starts_with_any(message, clock_skew_messages)) {
        return ErrorKind::clock_skew;
    }

    // botocore _retry.json and standard.py: 429 is throttling; 500, 502, 503 and 504
    // are transient whatever the code says. Any other 5xx is treated alike. Other
    // signature errors (a wrong key) and every other code are fatal.
    if (status == 429) {
        return ErrorKind::throttling;
    }
    if (status >= 500 && status <= 599) {
        return ErrorKind::transient;
    }
    return ErrorKind::fatal;
}

// Appends text to out as the inside of a JSON string (RFC 8259 7). text is
// printable ASCII (checked by the caller), so only '"' and '\\' need escaping.
void append_json_string(std::string& out, std::string_view text) {
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
}

bool is_printable_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

}  // namespace

Endpoint default_endpoint(std::string_view region) {
    // botocore data/endpoints.json: the partitions' regionRegex and dnsSuffix.
    // TODO(a botocore that lists them): partitions newer than python3-botocore 1.29
    // (the European Sovereign Cloud's eusc-*) fall back to amazonaws.com;
    // --kms-endpoint names their endpoint meanwhile.
    std::string_view suffix = "amazonaws.com";
    if (region.substr(0, 3) == "cn-") {
        suffix = "amazonaws.com.cn";
    } else if (region.substr(0, 8) == "us-isob-") {
        suffix = "sc2s.sgov.gov";
    } else if (region.substr(0, 7) == "us-iso-") {
        suffix = "c2s.ic.gov";
    }
    return Endpoint{Scheme::https, "kms." + std::string(region) + "." + std::string(suffix), 443};
}

Result<HttpRequest> generate_random_request(const Endpoint& endpoint, std::size_t number_of_bytes,
                                            const std::optional<std::string>& custom_key_store_id) {
    // KMS GenerateRandom: NumberOfBytes is 1..1024.
    if (number_of_bytes < 1 || number_of_bytes > max_bytes_per_call) {
        return Error{ErrorCode::bad_config, "GenerateRandom NumberOfBytes " +
                                                std::to_string(number_of_bytes) +
                                                " is outside 1..1024"};
    }
    if (custom_key_store_id &&
        (custom_key_store_id->empty() || custom_key_store_id->size() > max_custom_key_store_id)) {
        return Error{ErrorCode::bad_config, "CustomKeyStoreId of " +
                                                std::to_string(custom_key_store_id->size()) +
                                                " characters is outside 1..64"};
    }
    // Key store IDs are "cks-" and hex digits: anything but printable ASCII is a typo.
    if (custom_key_store_id && !is_printable_ascii(*custom_key_store_id)) {
        return Error{ErrorCode::bad_config, "CustomKeyStoreId is not printable ASCII"};
    }

    std::string body = "{\"NumberOfBytes\":" + std::to_string(number_of_bytes);
    if (custom_key_store_id) {
        body += ",\"CustomKeyStoreId\":\"";
        append_json_string(body, *custom_key_store_id);
        body += "\"";
    }
    body += "}";

    HttpRequest request;
    request.endpoint = endpoint;
    request.method = "POST";
    request.target = "/";
    // Host is set here, not by the transport, because SigV4 signs it.
    request.headers.push_back({"Host", host_header(endpoint), false});
    request.headers.push_back({"Content-Type", std::string(content_type), false});
    request.headers.push_back({"X-Amz-Target", std::string(target), false});
    request.body = std::move(body);
    request.max_response_bytes = std::max(max_reply_bytes, max_error_bytes);
    return request;
}

Result<SecureBytes> parse_generate_random_reply(std::string_view body, std::size_t expected_bytes) {
    constexpr std::string_view what = "GenerateRandom reply";
    if (body.size() > max_reply_bytes) {
        return detail::too_large(what, body.size(), max_reply_bytes);
    }

    // The parse result holds the plaintext's base64 in memory wiped when freed.
    Result<boost::json::object> object = detail::parse_json_object(body, what);
    if (!object) {
        return std::move(object).error();
    }
    const Result<std::string_view> plaintext = detail::string_field(*object, "Plaintext", what);
    if (!plaintext) {
        return plaintext.error();
    }

    // KMS sends Plaintext as canonical base64 (a JSON blob).
    Result<SecureBytes> bytes = base64_decode_strict(*plaintext, max_reply_bytes);
    if (!bytes) {
        return Error{ErrorCode::bad_base64, "GenerateRandom Plaintext: " + bytes.error().message};
    }
    if (bytes->size() != expected_bytes) {
        return Error{ErrorCode::bad_length, "GenerateRandom Plaintext holds " +
                                                std::to_string(bytes->size()) + " bytes, " +
                                                std::to_string(expected_bytes) + " were asked for"};
    }
    return bytes;
}

KmsError parse_error(int status, std::string_view body) {
    KmsError error;
    error.status = status;

    // An oversized or unparseable body leaves the status to decide.
    if (body.size() <= max_error_bytes) {
        const Result<boost::json::object> object = detail::parse_json_object(body, "KMS error");
        if (object) {
            if (const Result<std::string_view> type = detail::string_field(*object, "__type", "");
                type) {
                error.type = detail::log_safe(bare_type(*type), max_error_type);
            }
            for (const std::string_view key : {"message", "Message"}) {
                const Result<std::string_view> message = detail::string_field(*object, key, "");
                if (message) {
                    error.message = detail::log_safe(*message, max_error_message);
                    break;
                }
            }
        }
    }

    error.kind = classify(status, error.type, error.message);
    return error;
}

KmsError parse_error(const HttpResponse& response) {
    KmsError error = parse_error(response.status, body_view(response));
    if (!error.type.empty()) {
        return error;
    }

    // AWS JSON 1.1: the type may come in x-amzn-ErrorType instead of the body.
    const std::optional<std::string_view> header =
        find_header(response.headers, "x-amzn-ErrorType");
    if (header) {
        error.type = detail::log_safe(bare_type(*header), max_error_type);
        error.kind = classify(error.status, error.type, error.message);
    }
    return error;
}

ErrorCode error_code(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::throttling:
            return ErrorCode::kms_throttling;
        case ErrorKind::transient:
            return ErrorCode::kms_transient;
        case ErrorKind::clock_skew:
            return ErrorCode::kms_clock_skew;
        case ErrorKind::fatal:
            return ErrorCode::kms_fatal;
    }
    return ErrorCode::kms_fatal;
}

}  // namespace ec2seed::kms
