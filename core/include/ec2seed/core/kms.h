// AWS KMS GenerateRandom (KMS API Reference, "GenerateRandom"): the request, the
// reply and the error parser.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ec2seed/core/http.h"
#include "ec2seed/core/result.h"
#include "ec2seed/core/secret.h"

namespace ec2seed::kms {

// KMS GenerateRandom: NumberOfBytes is 1..1024.
inline constexpr std::size_t max_bytes_per_call = 1024;
// A reply holds at most base64(1024 bytes) plus a small envelope.
inline constexpr std::size_t max_reply_bytes = 8 * 1024;
inline constexpr std::size_t max_error_bytes = 8 * 1024;

inline constexpr std::string_view content_type = "application/x-amz-json-1.1";
inline constexpr std::string_view target = "TrentService.GenerateRandom";

// https://kms.<region>.amazonaws.com:443
Endpoint default_endpoint(std::string_view region);

// POST / with Content-Type, X-Amz-Target, Host and body
// {"NumberOfBytes":N[,"CustomKeyStoreId":"..."]}. Unsigned: the caller signs it.
// id, label and deadline are left for the caller.
// Errors: bad_config (N outside 1..1024, or a CustomKeyStoreId that is
// empty, longer than 64 or not printable ASCII).
Result<HttpRequest> generate_random_request(const Endpoint& endpoint, std::size_t number_of_bytes,
                                            const std::optional<std::string>& custom_key_store_id);

// {"Plaintext": base64, ...} with exactly expected_bytes decoded bytes.
// Errors: input_too_large, bad_json, missing_field, bad_base64, bad_length.
Result<SecureBytes> parse_generate_random_reply(std::string_view body, std::size_t expected_bytes);

enum class ErrorKind : std::uint8_t { throttling, transient, clock_skew, fatal };

struct KmsError {
    int status = 0;
    std::string type;     // "__type" without any "namespace#" prefix
    std::string message;  // "message" or "Message"; may be empty
    ErrorKind kind = ErrorKind::fatal;
};

// Classifies an error reply from its status and body (JSON may be absent or
// invalid: the status alone then decides). Never fails.
KmsError parse_error(int status, std::string_view body);

// As above, from a whole response: when the body names no "__type", the
// x-amzn-ErrorType header ("Type:uri") does. Never fails.
KmsError parse_error(const HttpResponse& response);

// The error code for a kind, as the seeder reports it.
ErrorCode error_code(ErrorKind kind) noexcept;

}  // namespace ec2seed::kms
