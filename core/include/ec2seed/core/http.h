// HTTP messages as values: what the core asks a transport to send and what it
// receives back. A transport turns an HttpRequest into bytes on a connection and
// hands back exactly one HttpResponse or TransportError per request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ec2seed/core/secret.h"
#include "ec2seed/core/time.h"

namespace ec2seed {

enum class Scheme : std::uint8_t { http, https };

struct Endpoint {
    Scheme scheme = Scheme::http;
    std::string host;  // DNS name, IPv4 literal, or IPv6 literal without brackets
    std::uint16_t port = 80;

    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// "http://169.254.169.254:80" style, IPv6 hosts bracketed; for logs and reports.
std::string to_string(const Endpoint& endpoint);

// The Host header value: host, bracketed when IPv6, with ":port" unless the port
// is the scheme's default.
std::string host_header(const Endpoint& endpoint);

struct HttpHeader {
    std::string name;
    std::string value;
    // True for values that are secret (the IMDS token, the session token, the
    // Authorization header): logs and recordings show "<redacted>".
    bool sensitive = false;
};

using RequestId = std::uint64_t;

struct HttpRequest {
    RequestId id = 0;
    // What the request is for, in the problem's terms: "imds/token",
    // "imds/instance-id", "imds/credentials", "kms/generate-random", ...
    std::string label;
    Endpoint endpoint;
    std::string method;  // "GET", "PUT", "POST"
    std::string target;  // origin-form: path and query, e.g. "/latest/api/token"
    // Sent as given, in this order. A transport adds Host, Content-Length and
    // Connection management only; it adds no Accept, User-Agent or Expect header
    // of its own.
    std::vector<HttpHeader> headers;
    std::string body;
    // The transport gives up at this monotonic time and reports timed_out.
    MonoTime deadline{0};
    // The transport stops reading past this many body bytes and reports
    // response_too_large.
    std::size_t max_response_bytes = 64 * 1024;
};

struct HttpResponse {
    int status = 0;
    std::vector<HttpHeader> headers;  // names as received; look up case-insensitively
    SecureBytes body;                 // may hold KMS plaintext: wiped when freed
};

// First header with this name (ASCII case-insensitive), if any.
std::optional<std::string_view> find_header(const std::vector<HttpHeader>& headers,
                                            std::string_view name);

// The body as a string view (for parsers).
inline std::string_view body_view(const HttpResponse& response) {
    return {reinterpret_cast<const char*>(response.body.data()), response.body.size()};
}

// Why a request produced no response.
enum class TransportError : std::uint8_t {
    connection_refused,  // nothing listening, or the network unreachable
    timed_out,           // the request's deadline passed
    tls_failure,         // handshake failed, certificate not trusted or for another host
    malformed_response,  // not parseable HTTP/1.1, or the connection closed mid-message
    response_too_large,  // the body exceeded max_response_bytes
    connection_reset,    // the peer closed or reset an established connection
    resolve_failed,      // the host name did not resolve
    redirect_refused,    // unused by transports that report 3xx as a response
    other,
};

std::string_view to_string(TransportError error) noexcept;

}  // namespace ec2seed
