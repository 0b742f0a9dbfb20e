// Endpoint URLs: what is accepted and every refusal.
#include <gtest/gtest.h>

#include "ec2seed/app/url.h"

namespace ec2seed::app {
namespace {

TEST(EndpointUrl, AcceptsSchemeHostAndPort) {
    EXPECT_EQ(*parse_endpoint_url("http://169.254.169.254"),
              (Endpoint{Scheme::http, "169.254.169.254", 80}));
    EXPECT_EQ(*parse_endpoint_url("https://kms.us-east-1.amazonaws.com"),
              (Endpoint{Scheme::https, "kms.us-east-1.amazonaws.com", 443}));
    EXPECT_EQ(*parse_endpoint_url("http://127.0.0.1:8080/"),
              (Endpoint{Scheme::http, "127.0.0.1", 8080}));
    EXPECT_EQ(*parse_endpoint_url("https://localhost:65535"),
              (Endpoint{Scheme::https, "localhost", 65535}));
}

TEST(EndpointUrl, AcceptsBracketedIpv6) {
    EXPECT_EQ(*parse_endpoint_url("http://[fd00:ec2::254]"),
              (Endpoint{Scheme::http, "fd00:ec2::254", 80}));
    EXPECT_EQ(*parse_endpoint_url("http://[::1]:1234/"), (Endpoint{Scheme::http, "::1", 1234}));
    EXPECT_EQ(*parse_endpoint_url("http://[::ffff:127.0.0.1]:9"),
              (Endpoint{Scheme::http, "::ffff:127.0.0.1", 9}));
}

TEST(EndpointUrl, RefusesEverythingElse) {
    const struct {
        const char* url;
        const char* why;
    } cases[] = {
        {"169.254.169.254", "does not start with"},
        {"ftp://host", "does not start with"},
        {"HTTP://host", "does not start with"},
        {"http://", "has no host"},
        {"http://:80", "has no host"},
        {"http://host/latest", "path"},
        {"http://host//", "path"},
        {"http://host?x=1", "query"},
        {"http://host#frag", "fragment"},
        {"http://user@host", "user information"},
        {"http://user:pw@host:80", "user information"},
        {"http://host:", "empty port"},
        {"http://host:0", "1..65535"},
        {"http://host:65536", "1..65535"},
        {"http://host:80x", "1..65535"},
        {"http://host:-1", "1..65535"},
        {"http://fd00:ec2::254", "without brackets"},
        {"http://[fd00:ec2::254", "unclosed"},
        {"http://[fd00:ec2::254]x", "after the IPv6"},
        {"http://[fd00:ec2::254]:", "empty port"},
        {"http://[host.example]", "not an IPv6"},
        {"http://[fe80::1%25eth0]", "not an IPv6"},
        {"http://ho_st", "invalid host"},
        {"http://host..example", "invalid host"},
        {"http://-host", "invalid host"},
        {"http://ho st", "invalid host"},
    };
    for (const auto& c : cases) {
        const auto endpoint = parse_endpoint_url(c.url);
        ASSERT_FALSE(endpoint.has_value()) << c.url;
        EXPECT_EQ(endpoint.error().code, ErrorCode::bad_config);
        EXPECT_NE(endpoint.error().message.find(c.why), std::string::npos)
            << c.url << ": " << endpoint.error().message;
        EXPECT_NE(endpoint.error().message.find("expected http://HOST[:PORT]"), std::string::npos);
    }
}

}  // namespace
}  // namespace ec2seed::app
