// Endpoint URL parsing: scheme, host and port, nothing else.
#include "ec2seed/app/url.h"

#include <charconv>
#include <string>

namespace ec2seed::app {
namespace {

Error url_error(std::string_view url, std::string_view why) {
    return Error{ErrorCode::bad_config, "'" + std::string(url) + "' " + std::string(why) +
                                            "; expected http://HOST[:PORT] or "
                                            "https://HOST[:PORT]"};
}

bool is_dns_name(std::string_view host) {
    // RFC 1123 host names; an IPv4 literal is one too, as far as characters go.
    if (host.empty() || host.size() > 253 || host.front() == '.' || host.front() == '-') {
        return false;
    }
    for (const char c : host) {
        const bool alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-' && c != '.') {
            return false;
        }
    }
    return host.find("..") == std::string_view::npos;
}

bool is_ipv6_literal(std::string_view host) {
    // RFC 3986 IP-literal, without zone identifiers: hex digits, colons and the dots
    // of an embedded IPv4 address; at least two colons.
    int colons = 0;
    for (const char c : host) {
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (c == ':') {
            ++colons;
        } else if (!hex && c != '.') {
            return false;
        }
    }
    return colons >= 2 && host.size() <= 45;
}

}  // namespace

Result<Endpoint> parse_endpoint_url(std::string_view url) {
    Endpoint endpoint;

    // Scheme.
    std::string_view rest;
    if (url.starts_with("http://")) {
        endpoint.scheme = Scheme::http;
        endpoint.port = 80;
        rest = url.substr(7);
    } else if (url.starts_with("https://")) {
        endpoint.scheme = Scheme::https;
        endpoint.port = 443;
        rest = url.substr(8);
    } else {
        return url_error(url, "does not start with http:// or https://");
    }

    // Authority ends at the first '/', '?' or '#'; only a lone trailing '/' may follow.
    const std::size_t authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    if (authority_end != std::string_view::npos) {
        const std::string_view tail = rest.substr(authority_end);
        if (tail != "/") {
            return url_error(url, "has a path, query or fragment");
        }
    }
    if (authority.find('@') != std::string_view::npos) {
        return url_error(url, "has user information");
    }

    // Host: bracketed IPv6, or a name / IPv4 literal.
    std::string_view port_text;
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            return url_error(url, "has an unclosed '['");
        }
        const std::string_view host = authority.substr(1, close - 1);
        if (!is_ipv6_literal(host)) {
            return url_error(url, "has a bracketed host that is not an IPv6 address");
        }
        endpoint.host = std::string(host);
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return url_error(url, "has text after the IPv6 address");
            }
            port_text = after.substr(1);
            if (port_text.empty()) {
                return url_error(url, "has an empty port");
            }
        }
    } else {
        const std::size_t colon = authority.find(':');
        const std::string_view host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.find(':') != std::string_view::npos) {
                return url_error(url, "has an IPv6 address without brackets");
            }
            if (port_text.empty()) {
                return url_error(url, "has an empty port");
            }
        }
        if (!is_dns_name(host)) {
            return url_error(url, host.empty() ? "has no host" : "has an invalid host");
        }
        endpoint.host = std::string(host);
    }

    // Port.
    if (!port_text.empty()) {
        unsigned port = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
            port > 65535) {
            return url_error(url, "has a port that is not 1..65535");
        }
        endpoint.port = static_cast<std::uint16_t>(port);
    }
    return endpoint;
}

}  // namespace ec2seed::app
