// Errors as values. Every fallible function in the core returns Result<T>; no
// exception crosses the core's API. An Error names what went wrong in the
// problem's terms and carries a message for people that never holds a secret.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ec2seed {

enum class ErrorCode : std::uint8_t {
    // Input that failed a codec's checks (local: the bytes came from a peer, but the
    // check that failed is ours; the request that produced them may be retried).
    input_too_large,          // more bytes than the parser's bound
    bad_base64,               // character, padding or trailing-bit error
    bad_json,                 // not JSON, or not the expected shape
    missing_field,            // a required field is absent or empty
    bad_field,                // a field is present but its value is out of range
    bad_token,                // IMDS token: empty, too long or not printable
    bad_instance_id,          // not i-<hex>
    bad_ipv4,                 // not a dotted-quad IPv4 address
    bad_mac,                  // not six colon-separated hex octets
    bad_region,               // not a plausible AWS region name
    bad_length,               // decoded length differs from what was asked for
    credentials_not_success,  // role credentials JSON with Code != "Success"
    unsupported_hash,         // Botan does not know the hash name
    bad_config,               // a configuration value out of range

    // HTTP and transport outcomes.
    http_status,  // a status the protocol step does not accept
    transport,    // refused, timed out, TLS failure, malformed, too large

    // KMS replies, classed as the AWS SDKs class them.
    kms_throttling,
    kms_transient,
    kms_clock_skew,
    kms_fatal,
    kms_rejected_bytes,  // Plaintext all zero, or equal to the previous reply

    // Run-level outcomes.
    entropy_not_applied,  // the sink reported a failed addition
    no_credentials,       // no role attached and no credentials given
    no_region,            // region not given and not found in IMDS
    imds_unavailable,     // IMDS could not be used (token refused, v1 not allowed...)
    retries_exhausted,
    deadline_exceeded,
};

// Whether a request that failed with this code may be sent again.
enum class Retry : std::uint8_t { retryable, fatal };

// Where the fault lies: in this process or configuration, or at the peer.
enum class Origin : std::uint8_t { local, remote };

std::string_view to_string(ErrorCode code) noexcept;
Retry retry_class(ErrorCode code) noexcept;
Origin origin_of(ErrorCode code) noexcept;

struct Error {
    ErrorCode code;
    // Says what was wrong for a person reading a log. Never holds a secret value
    // (token, key, plaintext), only names and lengths.
    std::string message;
};

}  // namespace ec2seed
