// IMDS messages: the requests the core builds, and every acceptance and
// rejection of each response parser. Secret values are compared, never printed.
#include "ec2seed/core/imds.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace ec2seed::imds {
namespace {

const Endpoint imds_endpoint{Scheme::http, "127.0.0.1", 8080};

// The error code of a failed parse; fails the test when the parse succeeded.
template <typename T>
ErrorCode rejection(const Result<T>& result) {
    EXPECT_FALSE(result.has_value()) << "the parser accepted its input";
    return result ? ErrorCode::bad_config : result.error().code;
}

std::string padded(std::string_view text, std::size_t size) {
    return std::string(text) + std::string(size - text.size(), '\n');
}

// Requests.

TEST(ImdsTokenRequest, IsAPutWithTheTtlHeaderOnly) {
    const HttpRequest request = token_request(imds_endpoint, 21600);
    EXPECT_EQ(request.method, "PUT");
    EXPECT_EQ(request.target, "/latest/api/token");
    EXPECT_EQ(request.endpoint, imds_endpoint);
    ASSERT_EQ(request.headers.size(), 1U);
    EXPECT_EQ(request.headers[0].name, "X-aws-ec2-metadata-token-ttl-seconds");
    EXPECT_EQ(request.headers[0].value, "21600");
    EXPECT_FALSE(request.headers[0].sensitive);
    EXPECT_TRUE(request.body.empty());
    EXPECT_EQ(request.max_response_bytes, max_token_bytes);
}

TEST(ImdsTokenRequest, ClampsTheTtlIntoItsRange) {
    EXPECT_EQ(token_request(imds_endpoint, 0).headers[0].value, "1");
    EXPECT_EQ(token_request(imds_endpoint, 1).headers[0].value, "1");
    EXPECT_EQ(token_request(imds_endpoint, 60).headers[0].value, "60");
    EXPECT_EQ(token_request(imds_endpoint, 21601).headers[0].value, "21600");
}

TEST(ImdsGetRequest, CarriesTheTokenAsASensitiveHeader) {
    const HttpRequest request = get_request(imds_endpoint, mac_path, Secret("AQAEAtoken=="));
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.target, "/latest/meta-data/mac");
    ASSERT_EQ(request.headers.size(), 1U);
    EXPECT_EQ(request.headers[0].name, "X-aws-ec2-metadata-token");
    EXPECT_TRUE(request.headers[0].value == "AQAEAtoken==");
    EXPECT_TRUE(request.headers[0].sensitive);
}

TEST(ImdsGetRequest, WithoutATokenIsImdsV1) {
    const HttpRequest request = get_request(imds_endpoint, instance_id_path, Secret());
    EXPECT_EQ(request.target, "/latest/meta-data/instance-id");
    EXPECT_TRUE(request.headers.empty());
}

TEST(ImdsGetRequest, BoundsTheResponseByWhatItAsksFor) {
    EXPECT_EQ(get_request(imds_endpoint, signature_path, Secret()).max_response_bytes,
              max_signature_bytes);
    EXPECT_EQ(get_request(imds_endpoint, document_path, Secret()).max_response_bytes,
              max_document_bytes);
    EXPECT_EQ(
        get_request(imds_endpoint, std::string(roles_path) + "role", Secret()).max_response_bytes,
        max_credentials_bytes);
    EXPECT_EQ(get_request(imds_endpoint, roles_path, Secret()).max_response_bytes, max_item_bytes);
    EXPECT_EQ(get_request(imds_endpoint, region_path, Secret()).max_response_bytes, max_item_bytes);
}

// Token.

TEST(ImdsToken, AcceptsPrintableAsciiAndTrimsLineSpace) {
    const Result<Secret> token = parse_token("AQAEAPoq-b0_Gtoken==\n");
    ASSERT_TRUE(token) << token.error().message;
    EXPECT_TRUE(token->reveal() == "AQAEAPoq-b0_Gtoken==");
}

TEST(ImdsToken, RejectsEmptyAndBlank) {
    EXPECT_EQ(rejection(parse_token("")), ErrorCode::bad_token);
    EXPECT_EQ(rejection(parse_token(" \r\n")), ErrorCode::bad_token);
}

TEST(ImdsToken, RejectsSpaceAndControlBytesWithoutQuotingTheToken) {
    const std::vector<std::string> bodies{"secretpart one", "secretpart\tone",
                                          std::string("secretpart\0one", 14), "secretpart\x7fone",
                                          "secretpart\xc3\xa9one"};
    for (const std::string& body : bodies) {
        const Result<Secret> token = parse_token(body);
        ASSERT_EQ(rejection(token), ErrorCode::bad_token);
        EXPECT_EQ(token.error().message.find("secretpart"), std::string::npos);
        EXPECT_NE(token.error().message.find("offset 10"), std::string::npos);
    }
}

TEST(ImdsToken, AcceptsItsBoundAndRejectsOneMore) {
    EXPECT_TRUE(parse_token(std::string(max_token_bytes, 'A')));
    EXPECT_EQ(rejection(parse_token(std::string(max_token_bytes + 1, 'A'))),
              ErrorCode::input_too_large);
}

// instance-id.

TEST(ImdsInstanceId, AcceptsBothLengths) {
    EXPECT_EQ(parse_instance_id("i-0123456789abcdef0").value(), "i-0123456789abcdef0");
    EXPECT_EQ(parse_instance_id("i-1234abcd\n").value(), "i-1234abcd");
}

TEST(ImdsInstanceId, RejectsWhatIsNotAnInstanceId) {
    for (const std::string_view body :
         {"", "i-", "i-0123456789ABCDEF0", "i-1234abc", "i-1234abcde", "i-0123456789abcdef",
          "x-1234abcd", "I-1234abcd", "i-1234abcg", "i-1234 abcd", "ami-1234abcd"}) {
        EXPECT_EQ(rejection(parse_instance_id(body)), ErrorCode::bad_instance_id) << body;
    }
}

TEST(ImdsInstanceId, RejectsMoreThanItsBound) {
    EXPECT_EQ(rejection(parse_instance_id(padded("i-1234abcd", max_item_bytes + 1))),
              ErrorCode::input_too_large);
    EXPECT_TRUE(parse_instance_id(padded("i-1234abcd", max_item_bytes)));
}

// local-ipv4.

TEST(ImdsLocalIpv4, AcceptsDottedQuads) {
    EXPECT_EQ(parse_local_ipv4("172.31.16.5").value(), "172.31.16.5");
    EXPECT_EQ(parse_local_ipv4("0.0.0.0\n").value(), "0.0.0.0");
    EXPECT_EQ(parse_local_ipv4("255.255.255.255").value(), "255.255.255.255");
}

TEST(ImdsLocalIpv4, RejectsWhatIsNotADottedQuad) {
    for (const std::string_view body :
         {"", "10.0.0", "10.0.0.1.2", "10.0.0.256", "10.0.0.01", "10..0.1", "10.0.0.", ".10.0.0",
          "10.0.0.1a", "10.0.0.-1", "fe80::1", "1000.0.0.1", "10.0.0.1 10.0.0.2", "+1.0.0.1"}) {
        EXPECT_EQ(rejection(parse_local_ipv4(body)), ErrorCode::bad_ipv4) << body;
    }
}

TEST(ImdsLocalIpv4, RejectsMoreThanItsBound) {
    EXPECT_EQ(rejection(parse_local_ipv4(padded("10.0.0.1", max_item_bytes + 1))),
              ErrorCode::input_too_large);
}

// mac.

TEST(ImdsMac, ParsesSixOctets) {
    const Result<MacAddress> mac = parse_mac("0e:49:61:0f:c3:Ab\n");
    ASSERT_TRUE(mac) << mac.error().message;
    EXPECT_EQ(mac->text, "0e:49:61:0f:c3:Ab");
    const std::array<std::uint8_t, 6> expected{0x0e, 0x49, 0x61, 0x0f, 0xc3, 0xab};
    EXPECT_EQ(mac->octets, expected);
}

TEST(ImdsMac, RejectsWhatIsNotSixOctets) {
    for (const std::string_view body :
         {"", "0e:49:61:0f:c3", "0e:49:61:0f:c3:ab:01", "0e-49-61-0f-c3-ab", "0e:49:61:0f:c3:ag",
          "0e:49:61:0f:c3:a", "e:49:61:0f:c3:abc", "0e:49:61:0f:c3::b", "0e4961:0f:c3:ab:c"}) {
        EXPECT_EQ(rejection(parse_mac(body)), ErrorCode::bad_mac) << body;
    }
}

TEST(ImdsMac, RejectsMoreThanItsBound) {
    EXPECT_EQ(rejection(parse_mac(padded("0e:49:61:0f:c3:ab", max_item_bytes + 1))),
              ErrorCode::input_too_large);
}

// placement/region.

TEST(ImdsRegion, AcceptsRegionNames) {
    for (const std::string_view body :
         {"us-east-1", "eu-central-2", "us-gov-west-1", "cn-northwest-1", "us-isob-east-1",
          "eusc-de-east-1", "ap-southeast-4\n"}) {
        EXPECT_TRUE(parse_region(body)) << body;
    }
    EXPECT_EQ(parse_region("eu-west-1\n").value(), "eu-west-1");
}

TEST(ImdsRegion, RejectsWhatIsNotARegionName) {
    for (const std::string_view body :
         {"", "us-east", "us-east-1a", "US-EAST-1", "useast-east-1", "u-east-1", "us--1",
          "us-east-", "-us-east-1", "us-east-1.evil.example", "us-east-1/x", "us-east-x", "us-1",
          "us-a-very-very-long-region-name-1"}) {
        EXPECT_EQ(rejection(parse_region(body)), ErrorCode::bad_region) << body;
    }
}

TEST(ImdsRegion, RejectsMoreThanItsBound) {
    EXPECT_EQ(rejection(parse_region(padded("us-east-1", max_item_bytes + 1))),
              ErrorCode::input_too_large);
}

// Identity document.

constexpr std::string_view sample_document = R"({
  "accountId" : "123456789012",
  "architecture" : "x86_64",
  "availabilityZone" : "eu-west-1a",
  "imageId" : "ami-0123456789abcdef0",
  "instanceId" : "i-0123456789abcdef0",
  "instanceType" : "t3.micro",
  "pendingTime" : "2026-12-03T15:00:00Z",
  "privateIp" : "172.31.16.5",
  "region" : "eu-west-1",
  "version" : "2017-09-30"
})";

TEST(ImdsIdentityDocument, ReadsRegionAndInstanceId) {
    const Result<IdentityDocument> document = parse_identity_document(sample_document);
    ASSERT_TRUE(document) << document.error().message;
    EXPECT_EQ(document->region, "eu-west-1");
    EXPECT_EQ(document->instance_id, "i-0123456789abcdef0");
}

TEST(ImdsIdentityDocument, RejectsEachMalformedShape) {
    const std::vector<std::pair<std::string_view, ErrorCode>> cases{
        {"", ErrorCode::bad_json},
        {"{", ErrorCode::bad_json},
        {"not json", ErrorCode::bad_json},
        {R"({"region":"eu-west-1","instanceId":"i-1234abcd"} {})", ErrorCode::bad_json},
        {R"(["eu-west-1","i-1234abcd"])", ErrorCode::bad_json},
        {R"({"instanceId":"i-1234abcd"})", ErrorCode::missing_field},
        {R"({"region":"eu-west-1"})", ErrorCode::missing_field},
        {R"({"region":"","instanceId":"i-1234abcd"})", ErrorCode::missing_field},
        {R"({"region":1,"instanceId":"i-1234abcd"})", ErrorCode::bad_json},
        {R"({"region":"eu-west-1","instanceId":null})", ErrorCode::bad_json},
        {R"({"region":"eu west 1","instanceId":"i-1234abcd"})", ErrorCode::bad_region},
        {R"({"region":"eu-west-1","instanceId":"i-XYZ"})", ErrorCode::bad_instance_id},
    };
    for (const auto& [body, code] : cases) {
        EXPECT_EQ(rejection(parse_identity_document(body)), code) << body;
    }
}

TEST(ImdsIdentityDocument, RejectsMoreThanItsBound) {
    EXPECT_EQ(rejection(parse_identity_document(padded(sample_document, max_document_bytes + 1))),
              ErrorCode::input_too_large);
    EXPECT_TRUE(parse_identity_document(padded(sample_document, max_document_bytes)));
}

// Role listing.

TEST(ImdsRoleListing, ReturnsTheFirstName) {
    EXPECT_EQ(parse_role_listing("ec2seed-role").value(), "ec2seed-role");
    EXPECT_EQ(parse_role_listing("\r\nfirst+=,.@_-Role9\r\nsecond\n").value(), "first+=,.@_-Role9");
}

TEST(ImdsRoleListing, RejectsAnEmptyListing) {
    EXPECT_EQ(rejection(parse_role_listing("")), ErrorCode::missing_field);
    EXPECT_EQ(rejection(parse_role_listing("\n \r\n\t\n")), ErrorCode::missing_field);
}

TEST(ImdsRoleListing, RejectsNamesIamDoesNotAllow) {
    for (const std::string_view body :
         {"role/../x", "role name", "..", ".", "r\xc3\xb4le", "role?x=1", "role#x",
          "a-65-character-name-is-one-more-than-iam-allows-for-a-role-name-x"}) {
        EXPECT_EQ(rejection(parse_role_listing(body)), ErrorCode::bad_field) << body;
    }
    EXPECT_TRUE(parse_role_listing(std::string(64, 'r')));
}

TEST(ImdsRoleListing, RejectsMoreThanItsBound) {
    EXPECT_EQ(rejection(parse_role_listing(padded("role", max_item_bytes + 1))),
              ErrorCode::input_too_large);
}

// Role credentials.

std::string credentials_json(std::string_view code, std::string_view extra = "") {
    return std::string(R"({"Code":")") + std::string(code) +
           R"(","LastUpdated":"2026-12-03T15:54:00Z","Type":"AWS-HMAC",)"
           R"("AccessKeyId":"ASIAEXAMPLEKEY123456","SecretAccessKey":"SECRETKEYVALUE",)"
           R"("Token":"SESSIONTOKENVALUE","Expiration":"2026-12-03T21:54:00Z")" +
           std::string(extra) + "}";
}

TEST(ImdsRoleCredentials, ReadsEveryRequiredField) {
    const Result<RoleCredentials> parsed = parse_role_credentials(credentials_json("Success"));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->credentials.access_key_id, "ASIAEXAMPLEKEY123456");
    EXPECT_TRUE(parsed->credentials.secret_access_key.reveal() == "SECRETKEYVALUE");
    EXPECT_TRUE(parsed->credentials.session_token.reveal() == "SESSIONTOKENVALUE");
    EXPECT_EQ(parsed->expiration.count(), 1796334840);  // 2026-12-03T21:54:00Z
}

TEST(ImdsRoleCredentials, UnescapesJsonStringsInSecrets) {
    const std::string body = R"({"Code":"Success","AccessKeyId":"ASIAEXAMPLEKEY123456",)"
                             R"("SecretAccessKey":"a\/b\u0041","Token":"t\"k",)"
                             R"("Expiration":"2026-12-03T21:54:00Z"})";
    const Result<RoleCredentials> parsed = parse_role_credentials(body);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_TRUE(parsed->credentials.secret_access_key.reveal() == "a/bA");
    EXPECT_TRUE(parsed->credentials.session_token.reveal() == "t\"k");
}

TEST(ImdsRoleCredentials, RefusesACodeOtherThanSuccess) {
    const Result<RoleCredentials> parsed = parse_role_credentials(credentials_json("Failure"));
    ASSERT_EQ(rejection(parsed), ErrorCode::credentials_not_success);
    EXPECT_NE(parsed.error().message.find("Failure"), std::string::npos);
    EXPECT_EQ(rejection(parse_role_credentials(credentials_json("success"))),
              ErrorCode::credentials_not_success);
}

TEST(ImdsRoleCredentials, RejectsEachMissingOrMalformedField) {
    const std::string valid = credentials_json("Success");
    const auto without = [&](std::string_view field) {
        std::string body = valid;
        const std::size_t at = body.find("\"" + std::string(field) + "\"");
        body.replace(at, 1, "\"x");  // rename the key
        return body;
    };
    const auto with = [&](std::string_view field, std::string_view value) {
        std::string body = valid;
        const std::size_t key = body.find("\"" + std::string(field) + "\":");
        const std::size_t start = key + field.size() + 3;
        const std::size_t end = std::min(body.find(',', start), body.size() - 1);
        body.replace(start, end - start, value);
        return body;
    };

    for (const std::string_view field :
         {"Code", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}) {
        EXPECT_EQ(rejection(parse_role_credentials(without(field))), ErrorCode::missing_field)
            << field;
        EXPECT_EQ(rejection(parse_role_credentials(with(field, "\"\""))), ErrorCode::missing_field)
            << field;
        EXPECT_EQ(rejection(parse_role_credentials(with(field, "42"))), ErrorCode::bad_json)
            << field;
    }
    EXPECT_EQ(rejection(parse_role_credentials(with("AccessKeyId", "\"SHORT\""))),
              ErrorCode::bad_field);
    EXPECT_EQ(rejection(parse_role_credentials(with("AccessKeyId", "\"ASIA/EXAMPLE/KEY/12\""))),
              ErrorCode::bad_field);
    EXPECT_EQ(rejection(parse_role_credentials(with("Expiration", "\"tomorrow\""))),
              ErrorCode::bad_field);
    EXPECT_EQ(
        rejection(parse_role_credentials(with("Expiration", "\"2026-12-03T21:54:00+01:00\""))),
        ErrorCode::bad_field);
}

TEST(ImdsRoleCredentials, RejectsWhatIsNotAJsonObject) {
    for (const std::string_view body : {"", "Success", "[]", "{\"Code\":\"Success\"", "null"}) {
        EXPECT_EQ(rejection(parse_role_credentials(body)), ErrorCode::bad_json) << body;
    }
}

TEST(ImdsRoleCredentials, NoErrorMessageHoldsASecret) {
    const std::string bodies[] = {
        credentials_json("Success").replace(credentials_json("Success").find("2026-12-03T21"), 4,
                                            "20x6"),
        credentials_json("Success", R"(,"AccessKeyId":"bad")"),
        credentials_json("Success").substr(0, 150),
    };
    for (const std::string& body : bodies) {
        const Result<RoleCredentials> parsed = parse_role_credentials(body);
        ASSERT_FALSE(parsed);
        EXPECT_EQ(parsed.error().message.find("SECRETKEYVALUE"), std::string::npos);
        EXPECT_EQ(parsed.error().message.find("SESSIONTOKENVALUE"), std::string::npos);
    }
}

TEST(ImdsRoleCredentials, RejectsMoreThanItsBound) {
    const std::string body = credentials_json("Success");
    EXPECT_TRUE(parse_role_credentials(padded(body, max_credentials_bytes)));
    EXPECT_EQ(rejection(parse_role_credentials(padded(body, max_credentials_bytes + 1))),
              ErrorCode::input_too_large);
}

// ISO 8601.

TEST(ImdsIso8601, ConvertsUtcTimes) {
    EXPECT_EQ(parse_iso8601_utc("1970-01-01T00:00:00Z")->count(), 0);
    EXPECT_EQ(parse_iso8601_utc("2000-02-29T23:59:59Z")->count(), 951868799);
    EXPECT_EQ(parse_iso8601_utc("1999-12-31T00:00:00Z")->count(), 946598400);
    EXPECT_EQ(parse_iso8601_utc("2038-01-19T03:14:08Z")->count(), 2147483648);
    EXPECT_EQ(parse_iso8601_utc("2100-03-01T12:00:00Z")->count(), 4107585600);
    EXPECT_EQ(parse_iso8601_utc("2026-12-03T21:54:00.123Z")->count(), 1796334840);
}

TEST(ImdsIso8601, RejectsOtherForms) {
    for (const std::string_view text : {"",
                                        "2026-12-03",
                                        "2026-12-03T21:54:00",
                                        "2026-12-03T21:54:00z",
                                        "2026-12-03t21:54:00Z",
                                        "2026-12-03 21:54:00Z",
                                        "2026-12-03T21:54:00+00:00",
                                        "2026-13-03T21:54:00Z",
                                        "2026-00-03T21:54:00Z",
                                        "2026-12-32T21:54:00Z",
                                        "2026-12-00T21:54:00Z",
                                        "2023-02-29T00:00:00Z",
                                        "2100-02-29T00:00:00Z",
                                        "2026-12-03T24:00:00Z",
                                        "2026-12-03T21:60:00Z",
                                        "2026-12-03T21:54:61Z",
                                        "2026-12-03T21:54:00.Z",
                                        "2026-12-03T21:54:00,5Z",
                                        "+026-12-03T21:54:00Z",
                                        "2026-1-03T21:54:00ZZ"}) {
        EXPECT_FALSE(parse_iso8601_utc(text).has_value()) << text;
    }
}

// Properties.

RC_GTEST_PROP(ImdsProperty, Iso8601AgreesWithTimegm, ()) {
    const int year = *rc::gen::inRange(1970, 2400);
    const int month = *rc::gen::inRange(1, 13);
    const int day = *rc::gen::inRange(1, 29);
    const int hour = *rc::gen::inRange(0, 24);
    const int minute = *rc::gen::inRange(0, 60);
    const int second = *rc::gen::inRange(0, 60);
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month, day, hour,
                  minute, second);

    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    const std::optional<WallTime> parsed = parse_iso8601_utc(text);
    RC_ASSERT(parsed.has_value());
    RC_ASSERT(parsed->count() == static_cast<std::int64_t>(timegm(&tm)));
}

RC_GTEST_PROP(ImdsProperty, MacRoundTrips, (const std::array<std::uint8_t, 6>& octets)) {
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", octets[0], octets[1],
                  octets[2], octets[3], octets[4], octets[5]);
    const Result<MacAddress> mac = parse_mac(text);
    RC_ASSERT(mac.has_value());
    RC_ASSERT(mac->octets == octets);
    RC_ASSERT(mac->text == text);
}

RC_GTEST_PROP(ImdsProperty, Ipv4RoundTrips, (const std::array<std::uint8_t, 4>& octets)) {
    const std::string text = std::to_string(octets[0]) + "." + std::to_string(octets[1]) + "." +
                             std::to_string(octets[2]) + "." + std::to_string(octets[3]);
    const Result<std::string> parsed = parse_local_ipv4(text);
    RC_ASSERT(parsed.has_value());
    RC_ASSERT(*parsed == text);
}

// Valid content followed by enough line space to pass the bound: each parser
// refuses it as too large, whatever it would make of the content.
RC_GTEST_PROP(ImdsProperty, ParsersNeverAcceptMoreThanTheirBound, ()) {
    const std::size_t extra = *rc::gen::inRange<std::size_t>(1, 4096);
    const auto over = [extra](std::string_view content, std::size_t bound) {
        return padded(content, bound + extra);
    };
    RC_ASSERT(rejection(parse_token(over("token", max_token_bytes))) == ErrorCode::input_too_large);
    RC_ASSERT(rejection(parse_instance_id(over("i-1234abcd", max_item_bytes))) ==
              ErrorCode::input_too_large);
    RC_ASSERT(rejection(parse_local_ipv4(over("10.0.0.1", max_item_bytes))) ==
              ErrorCode::input_too_large);
    RC_ASSERT(rejection(parse_mac(over("0e:49:61:0f:c3:ab", max_item_bytes))) ==
              ErrorCode::input_too_large);
    RC_ASSERT(rejection(parse_region(over("us-east-1", max_item_bytes))) ==
              ErrorCode::input_too_large);
    RC_ASSERT(rejection(parse_role_listing(over("role", max_item_bytes))) ==
              ErrorCode::input_too_large);
    RC_ASSERT(rejection(parse_identity_document(over(sample_document, max_document_bytes))) ==
              ErrorCode::input_too_large);
    RC_ASSERT(rejection(parse_role_credentials(
                  over(credentials_json("Success"), max_credentials_bytes))) ==
              ErrorCode::input_too_large);
}

}  // namespace
}  // namespace ec2seed::imds
