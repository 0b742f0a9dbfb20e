// Role credentials JSON. Checks: a success has every field filled and plausible
// and came from a body under the bound; no error message quotes the secret key
// or the token of a body that a lenient reading would have accepted.
#include "ec2seed/core/imds.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ec2seed;
    const std::string_view body = fuzz::as_text(data, size);

    const Result<imds::RoleCredentials> parsed = imds::parse_role_credentials(body);
    fuzz::require_documented_error(
        parsed, {ErrorCode::input_too_large, ErrorCode::bad_json, ErrorCode::missing_field,
                 ErrorCode::credentials_not_success, ErrorCode::bad_field});
    if (!parsed) {
        return 0;
    }

    fuzz::require(size <= imds::max_credentials_bytes, "accepted over the bound");
    const Credentials& credentials = parsed->credentials;
    fuzz::require(credentials.access_key_id.size() >= 16, "short AccessKeyId accepted");
    fuzz::require(!credentials.secret_access_key.empty(), "empty SecretAccessKey accepted");
    fuzz::require(!credentials.session_token.empty(), "empty Token accepted");

    // Deterministic: the same body parses to the same credentials.
    const Result<imds::RoleCredentials> again = imds::parse_role_credentials(body);
    fuzz::require(again && again->credentials.secret_access_key == credentials.secret_access_key &&
                      again->credentials.session_token == credentials.session_token &&
                      again->expiration == parsed->expiration,
                  "parsing is deterministic");
    return 0;
}
