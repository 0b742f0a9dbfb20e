// The wire rules both network transports share, so that libcurl and the native stack
// send the same request and hand the core the same HttpResponse for one exchange.
#pragma once

#include <cstddef>
#include <string_view>

#include "ec2seed/core/http.h"

namespace ec2seed::transport {

// The header section of a response may hold at most this many bytes; past it the
// exchange fails with malformed_response (no IMDS or KMS reply comes near it).
inline constexpr std::size_t max_header_section_bytes = 64 * 1024;

// Whether the request gets a Content-Length header: whenever it has a body, and for
// POST and PUT even when the body is empty (RFC 9110 8.6: a user agent sends
// Content-Length when the method defines a meaning for content, even when it is 0).
inline bool sends_content_length(const HttpRequest& request) {
    return !request.body.empty() || request.method == "POST" || request.method == "PUT";
}

inline bool has_header(const HttpRequest& request, std::string_view name) {
    return find_header(request.headers, name).has_value();
}

// A field value without the whitespace around it (RFC 9110 5.5: OWS before and after
// a field value is not part of it).
inline std::string_view trim_field_value(std::string_view value) {
    constexpr std::string_view ows = " \t";
    const std::size_t first = value.find_first_not_of(ows);
    if (first == std::string_view::npos) {
        return {};
    }

    const std::size_t last = value.find_last_not_of(ows);
    return value.substr(first, last - first + 1);
}

// The time left before a request's deadline, zero when it has passed.
inline MonoTime time_left(MonoTime deadline, MonoTime now) {
    return deadline > now ? deadline - now : MonoTime{0};
}

}  // namespace ec2seed::transport
