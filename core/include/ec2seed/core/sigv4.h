// AWS Signature Version 4 (AWS4-HMAC-SHA256), header form.
// Reference: AWS General Reference, "Create a signed AWS API request"; tested
// against the public SigV4 test suite and against botocore.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ec2seed/core/config.h"
#include "ec2seed/core/result.h"
#include "ec2seed/core/time.h"

namespace ec2seed {

struct SigV4Request {
    std::string method;
    // The path and query as they will be sent, e.g. "/" or "/a%20b?x=1&y=2".
    std::string target;
    // Headers as they will be sent, in order; duplicates allowed. Must include Host.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

struct SigV4Params {
    std::string region;
    std::string service;  // "kms"
    WallTime time{0};     // X-Amz-Date; the credential scope's date
    // Remove "." and ".." segments and repeated "/" from the path (every service
    // but S3). When true, the canonical URI is also URI-encoded a second time.
    bool normalize_path = true;
    // Sign the session token (the usual case). When false, the caller adds
    // X-Amz-Security-Token after signing (older STS style).
    bool sign_session_token = true;
    // Also sign an X-Amz-Content-SHA256 header holding the payload hash (S3 style;
    // KMS does not need it). The caller adds the header with payload_hash.
    bool sign_content_sha256 = false;
};

struct SigV4Result {
    // Holds the session token when it is signed: for tests only, never log it.
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;  // lowercase hex
    // The headers to add to the request: X-Amz-Date, X-Amz-Security-Token (when
    // the credentials carry one) and Authorization. The last two are secret.
    std::string amz_date;       // "20150830T123600Z"
    std::string authorization;  // whole header value
    std::string payload_hash;   // lowercase hex SHA-256 of the body
};

// "20150830T123600Z" for the given time (UTC, proleptic Gregorian). Pure
// arithmetic. Only times in years 1970..9999 give a valid X-Amz-Date; sigv4_sign
// rejects the others.
std::string amz_date(WallTime time);

// Signs request with credentials. The request's headers are signed as given plus
// X-Amz-Date (and X-Amz-Security-Token when sign_session_token and the credentials
// carry a token, X-Amz-Content-SHA256 when sign_content_sha256); the result says
// what to add. Errors (nothing is signed; the caller fixes its input, retrying the
// same input fails the same way):
// - bad_field: no Host header; a method or header name that is not an HTTP token;
//   a header value (or the session token) with a control character; a target not
//   starting with "/"; a header that the signer itself adds (Authorization,
//   X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-SHA256); an access key id
//   that is not [A-Za-z0-9_]+.
// - missing_field: empty access key id or secret access key.
// - bad_config: region or service empty or not [A-Za-z0-9._-]+; time outside
//   years 1970..9999.
// - unsupported_hash: Botan lacks HMAC(SHA-256) (a broken Botan build).
Result<SigV4Result> sigv4_sign(const SigV4Request& request, const Credentials& credentials,
                               const SigV4Params& params);

// Signs an HttpRequest in place, for the seeder. Any Authorization, X-Amz-Date,
// X-Amz-Security-Token or X-Amz-Content-SHA256 header already present is removed
// first, so a retried request can be signed again with a fresh time. Host is
// signed as the request's Host header when it has one, else as
// host_header(request.endpoint) (the transport adds that one; it is not added
// here). On success appends X-Amz-Date, X-Amz-Security-Token (sensitive; when the
// credentials carry a token, signed or not as params say), X-Amz-Content-SHA256
// (when asked for) and Authorization (sensitive). Errors: those of sigv4_sign;
// the request is then left unchanged.
Status sign_request(HttpRequest& request, const Credentials& credentials,
                    const SigV4Params& params);

}  // namespace ec2seed
