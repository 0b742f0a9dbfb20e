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
};

// "20150830T123600Z" for the given time.
std::string amz_date(WallTime time);

// Signs request with credentials. The request's headers are signed as given plus
// X-Amz-Date (and X-Amz-Security-Token when sign_session_token); the result says
// what to add. Errors: bad_field (no Host header, or a header name that is not a
// token), bad_config (empty region or service).
Result<SigV4Result> sigv4_sign(const SigV4Request& request, const Credentials& credentials,
                               const SigV4Params& params);

}  // namespace ec2seed
