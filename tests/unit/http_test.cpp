// Endpoint formatting and header look-up.
#include "ec2seed/core/http.h"

#include <gtest/gtest.h>

namespace ec2seed {
namespace {

TEST(Endpoint, ToStringAlwaysNamesThePort) {
    EXPECT_EQ(to_string(Endpoint{Scheme::http, "169.254.169.254", 80}),
              "http://169.254.169.254:80");
    EXPECT_EQ(to_string(Endpoint{Scheme::https, "kms.eu-west-1.amazonaws.com", 443}),
              "https://kms.eu-west-1.amazonaws.com:443");
}

TEST(Endpoint, ToStringBracketsIpv6) {
    EXPECT_EQ(to_string(Endpoint{Scheme::http, "fd00:ec2::254", 80}), "http://[fd00:ec2::254]:80");
}

TEST(Endpoint, HostHeaderOmitsOnlyTheSchemesDefaultPort) {
    EXPECT_EQ(host_header(Endpoint{Scheme::http, "169.254.169.254", 80}), "169.254.169.254");
    EXPECT_EQ(host_header(Endpoint{Scheme::https, "kms.us-east-1.amazonaws.com", 443}),
              "kms.us-east-1.amazonaws.com");
    EXPECT_EQ(host_header(Endpoint{Scheme::http, "127.0.0.1", 8080}), "127.0.0.1:8080");
    EXPECT_EQ(host_header(Endpoint{Scheme::https, "127.0.0.1", 80}), "127.0.0.1:80");
    EXPECT_EQ(host_header(Endpoint{Scheme::http, "127.0.0.1", 443}), "127.0.0.1:443");
}

TEST(Endpoint, HostHeaderBracketsIpv6) {
    EXPECT_EQ(host_header(Endpoint{Scheme::http, "fd00:ec2::254", 80}), "[fd00:ec2::254]");
    EXPECT_EQ(host_header(Endpoint{Scheme::http, "::1", 8081}), "[::1]:8081");
}

TEST(FindHeader, MatchesNamesIgnoringAsciiCase) {
    const std::vector<HttpHeader> headers{{"Content-Type", "text/plain", false},
                                          {"x-amzn-RequestId", "abc", false},
                                          {"X-AMZN-REQUESTID", "second", false}};
    EXPECT_EQ(find_header(headers, "content-type"), "text/plain");
    EXPECT_EQ(find_header(headers, "X-Amzn-RequestId"), "abc");  // the first one wins
}

TEST(FindHeader, AbsentOrDifferentNameIsNullopt) {
    const std::vector<HttpHeader> headers{{"Content-Type", "text/plain", false}};
    EXPECT_FALSE(find_header(headers, "Content-Length").has_value());
    EXPECT_FALSE(find_header(headers, "Content-Typ").has_value());
    EXPECT_FALSE(find_header(headers, "Content-Typee").has_value());
    EXPECT_FALSE(find_header({}, "Content-Type").has_value());
}

TEST(FindHeader, CaseFoldingIsAsciiOnly) {
    // 'K' (0x4b) and the Kelvin sign's UTF-8 bytes must not match.
    const std::vector<HttpHeader> headers{{"\xe2\x84\xaa", "kelvin", false}};
    EXPECT_FALSE(find_header(headers, "k").has_value());
    const std::vector<HttpHeader> at_sign{{"@", "x", false}};
    EXPECT_FALSE(find_header(at_sign, "`").has_value());  // 0x40 vs 0x60
}

TEST(TransportError, EveryValueHasItsName) {
    EXPECT_EQ(to_string(TransportError::connection_refused), "connection_refused");
    EXPECT_EQ(to_string(TransportError::timed_out), "timed_out");
    EXPECT_EQ(to_string(TransportError::tls_failure), "tls_failure");
    EXPECT_EQ(to_string(TransportError::malformed_response), "malformed_response");
    EXPECT_EQ(to_string(TransportError::response_too_large), "response_too_large");
    EXPECT_EQ(to_string(TransportError::connection_reset), "connection_reset");
    EXPECT_EQ(to_string(TransportError::resolve_failed), "resolve_failed");
    EXPECT_EQ(to_string(TransportError::redirect_refused), "redirect_refused");
    EXPECT_EQ(to_string(TransportError::other), "other");
}

}  // namespace
}  // namespace ec2seed
