// Endpoint URLs as the command line and AWS_EC2_METADATA_SERVICE_ENDPOINT give them.
#pragma once

#include <string_view>

#include "ec2seed/core/http.h"
#include "ec2seed/core/result.h"

namespace ec2seed::app {

// Parses "http://HOST[:PORT][/]" or "https://...". HOST is a DNS name, an IPv4
// literal or a bracketed IPv6 literal ("[fd00:ec2::254]"); PORT is 1..65535 and
// defaults to the scheme's (80, 443). A path other than "/", a query, a fragment
// and user information are refused: an endpoint names a server, not a resource.
// Errors: bad_config, with a message saying what part is wrong (no flag name; the
// caller adds it).
Result<Endpoint> parse_endpoint_url(std::string_view url);

}  // namespace ec2seed::app
