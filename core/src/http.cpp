// Endpoint formatting and header look-up for the HTTP values the core exchanges.
#include "ec2seed/core/http.h"

namespace ec2seed {

namespace {

// An IPv6 literal is the only host form that holds a ':'.
bool is_ipv6_literal(std::string_view host) {
    return host.find(':') != std::string_view::npos;
}

std::string bracketed_host(std::string_view host) {
    if (is_ipv6_literal(host)) {
        return "[" + std::string(host) + "]";
    }

    return std::string(host);
}

std::uint16_t default_port(Scheme scheme) {
    return scheme == Scheme::https ? 443 : 80;
}

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }

    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::string to_string(const Endpoint& endpoint) {
    const std::string_view scheme = endpoint.scheme == Scheme::https ? "https://" : "http://";
    return std::string(scheme) + bracketed_host(endpoint.host) + ":" +
           std::to_string(endpoint.port);
}

std::string host_header(const Endpoint& endpoint) {
    std::string value = bracketed_host(endpoint.host);

    // RFC 9110 7.2: the port may be omitted when it is the scheme's default.
    if (endpoint.port != default_port(endpoint.scheme)) {
        value += ":" + std::to_string(endpoint.port);
    }
    return value;
}

std::optional<std::string_view> find_header(const std::vector<HttpHeader>& headers,
                                            std::string_view name) {
    for (const HttpHeader& header : headers) {
        if (equal_ignoring_ascii_case(header.name, name)) {
            return std::string_view(header.value);
        }
    }
    return std::nullopt;
}

std::string_view to_string(TransportError error) noexcept {
    switch (error) {
        case TransportError::connection_refused:
            return "connection_refused";
        case TransportError::timed_out:
            return "timed_out";
        case TransportError::tls_failure:
            return "tls_failure";
        case TransportError::malformed_response:
            return "malformed_response";
        case TransportError::response_too_large:
            return "response_too_large";
        case TransportError::connection_reset:
            return "connection_reset";
        case TransportError::resolve_failed:
            return "resolve_failed";
        case TransportError::redirect_refused:
            return "redirect_refused";
        case TransportError::other:
            return "other";
    }
    return "other";
}

}  // namespace ec2seed
