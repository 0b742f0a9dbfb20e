// SigV4 signing: the public AWS SigV4 test suite (one test per case folder), the
// signer's rejections, sign_request, a comparison with botocore's SigV4Auth, and
// properties (any change to a signed part changes the signature).
#include "ec2seed/core/sigv4.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <boost/json.hpp>
#include <iostream>

namespace ec2seed {
namespace {

namespace fs = std::filesystem;

const fs::path suite_root{EC2SEED_SIGV4_SUITE};

// The suite's 38 header-signing cases (awslabs/aws-c-auth, v4).
constexpr std::size_t suite_case_count = 38;

// Stands for the case list when the suite folder is missing, so that the
// parameterised test fails instead of vanishing.
constexpr std::string_view missing_suite_marker = "suite_folder_missing";

std::vector<std::string> suite_case_names() {
    std::vector<std::string> names;
    std::error_code error;
    for (fs::directory_iterator it(suite_root, error); !error && it != fs::directory_iterator();
         it.increment(error)) {
        if (it->is_directory() && fs::exists(it->path() / "request.txt")) {
            names.push_back(it->path().filename().string());
        }
    }
    std::sort(names.begin(), names.end());

    if (names.empty()) {
        names.emplace_back(missing_suite_marker);
    }
    return names;
}

std::optional<std::string> read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        end = end == std::string_view::npos ? text.size() : end;
        std::string line(text.substr(start, end - start));
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

// A request.txt: "METHOD target HTTP/1.1", header lines (a line that starts with
// a space or tab continues the previous value, RFC 9112 obs-fold), a blank line
// and the body. The target may hold spaces ("/example space/").
struct SuiteRequest {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

std::optional<SuiteRequest> parse_suite_request(std::string_view text) {
    SuiteRequest request;
    const std::size_t blank = text.find("\n\n");
    const std::string_view head = text.substr(0, blank);
    if (blank != std::string_view::npos) {
        request.body = std::string(text.substr(blank + 2));
    }

    const std::vector<std::string> lines = split_lines(head);
    if (lines.empty()) {
        return std::nullopt;
    }
    const std::string& start_line = lines.front();
    const std::size_t first_space = start_line.find(' ');
    const std::size_t last_space = start_line.rfind(' ');
    if (first_space == std::string::npos || last_space <= first_space) {
        return std::nullopt;
    }
    request.method = start_line.substr(0, first_space);
    request.target = start_line.substr(first_space + 1, last_space - first_space - 1);

    for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        if (line.empty()) {
            continue;
        }
        if (line.front() == ' ' || line.front() == '\t') {
            if (request.headers.empty()) {
                return std::nullopt;
            }
            request.headers.back().second += " " + line;
            continue;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string::npos) {
            return std::nullopt;
        }
        request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
    return request;
}

// "2015-08-30T12:36:00Z" as seconds since the epoch.
std::optional<WallTime> parse_timestamp(const std::string& text) {
    int year = 0;
    unsigned month = 0;
    unsigned day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (std::sscanf(text.c_str(), "%d-%u-%uT%d:%d:%dZ", &year, &month, &day, &hour, &minute,
                    &second) != 6) {
        return std::nullopt;
    }
    using namespace std::chrono;
    const sys_days date{std::chrono::year{year} / std::chrono::month{month} /
                        std::chrono::day{day}};
    return WallTime{date.time_since_epoch() + hours{hour} + minutes{minute} + seconds{second}};
}

struct SuiteContext {
    Credentials credentials;
    SigV4Params params;
    bool sign_body = false;
};

std::optional<SuiteContext> parse_context(const std::string& text) {
    boost::json::error_code error;
    const boost::json::value json = boost::json::parse(text, error);
    if (error || !json.is_object()) {
        return std::nullopt;
    }
    const boost::json::object& root = json.as_object();
    const boost::json::object* credentials =
        root.if_contains("credentials") ? root.at("credentials").if_object() : nullptr;
    if (credentials == nullptr) {
        return std::nullopt;
    }

    const auto string_of = [](const boost::json::object& object, std::string_view key) {
        const boost::json::value* value = object.if_contains(key);
        return (value != nullptr && value->is_string()) ? std::string(value->as_string())
                                                        : std::string();
    };
    const auto bool_of = [&root](std::string_view key) {
        const boost::json::value* value = root.if_contains(key);
        return value != nullptr && value->is_bool() && value->as_bool();
    };

    SuiteContext context;
    context.credentials.access_key_id = string_of(*credentials, "access_key_id");
    context.credentials.secret_access_key = Secret(string_of(*credentials, "secret_access_key"));
    context.credentials.session_token = Secret(string_of(*credentials, "token"));
    context.params.region = string_of(root, "region");
    context.params.service = string_of(root, "service");
    const std::optional<WallTime> time = parse_timestamp(string_of(root, "timestamp"));
    if (!time) {
        return std::nullopt;
    }
    context.params.time = *time;
    context.params.normalize_path = bool_of("normalize");
    context.params.sign_session_token = !bool_of("omit_session_token");
    context.sign_body = bool_of("sign_body");
    context.params.sign_content_sha256 = context.sign_body;
    return context;
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
    return text;
}

// A header list as a sorted multiset of (lowercase name, value).
std::vector<std::pair<std::string, std::string>> header_set(
    const std::vector<std::pair<std::string, std::string>>& headers) {
    std::vector<std::pair<std::string, std::string>> set;
    for (const auto& [name, value] : headers) {
        set.emplace_back(lowercase(name), value);
    }
    std::sort(set.begin(), set.end());
    return set;
}

class SigV4Suite : public ::testing::TestWithParam<std::string> {};

TEST(SigV4SuiteFolder, HoldsEveryHeaderCase) {
    ASSERT_TRUE(fs::is_directory(suite_root))
        << "the SigV4 test suite is missing: expected its v4 folder at " << suite_root
        << " (set EC2SEED_SIGV4_SUITE)";
    const std::vector<std::string> names = suite_case_names();
    EXPECT_EQ(names.size(), suite_case_count);
}

TEST_P(SigV4Suite, HeaderSigningMatches) {
    ASSERT_NE(GetParam(), missing_suite_marker)
        << "the SigV4 test suite is missing: expected case folders under " << suite_root;
    const fs::path folder = suite_root / GetParam();

    const std::optional<std::string> request_text = read_text(folder / "request.txt");
    const std::optional<std::string> context_text = read_text(folder / "context.json");
    const std::optional<std::string> canonical = read_text(folder / "header-canonical-request.txt");
    const std::optional<std::string> to_sign = read_text(folder / "header-string-to-sign.txt");
    const std::optional<std::string> signature = read_text(folder / "header-signature.txt");
    const std::optional<std::string> signed_text = read_text(folder / "header-signed-request.txt");
    ASSERT_TRUE(request_text && context_text && canonical && to_sign && signature && signed_text)
        << "a file is missing in " << folder;

    const std::optional<SuiteRequest> request = parse_suite_request(*request_text);
    const std::optional<SuiteContext> context = parse_context(*context_text);
    const std::optional<SuiteRequest> expected_signed = parse_suite_request(*signed_text);
    ASSERT_TRUE(request && context && expected_signed) << "unparseable case files in " << folder;

    // Step 1: the canonical request, string to sign and signature, byte for byte.
    const SigV4Request to_sign_request{request->method, request->target, request->headers,
                                       request->body};
    const Result<SigV4Result> result =
        sigv4_sign(to_sign_request, context->credentials, context->params);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->canonical_request, *canonical);
    EXPECT_EQ(result->string_to_sign, *to_sign);
    EXPECT_EQ(result->signature, *signature);

    // Step 2: sign_request adds exactly the headers of the expected signed request.
    HttpRequest http;
    http.method = request->method;
    http.target = request->target;
    http.body = request->body;
    for (const auto& [name, value] : request->headers) {
        http.headers.push_back(HttpHeader{name, value, false});
    }
    const Status status = sign_request(http, context->credentials, context->params);
    ASSERT_TRUE(status.has_value()) << status.error().message;

    std::vector<std::pair<std::string, std::string>> added;
    for (std::size_t i = request->headers.size(); i < http.headers.size(); ++i) {
        added.emplace_back(http.headers[i].name, http.headers[i].value);
    }
    std::vector<std::pair<std::string, std::string>> expected_added(
        expected_signed->headers.begin() +
            static_cast<std::ptrdiff_t>(
                std::min(request->headers.size(), expected_signed->headers.size())),
        expected_signed->headers.end());
    EXPECT_EQ(header_set(added), header_set(expected_added));
}

std::string case_test_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string name = info.param;
    std::replace_if(
        name.begin(), name.end(),
        [](char c) { return std::isalnum(static_cast<unsigned char>(c)) == 0; }, '_');
    return name;
}

INSTANTIATE_TEST_SUITE_P(V4, SigV4Suite, ::testing::ValuesIn(suite_case_names()), case_test_name);

// ---------------------------------------------------------------------------
// The signer's own rules and rejections.

const Credentials example_credentials{"AKIDEXAMPLE",
                                      Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                                      Secret("session-token-value")};

SigV4Params example_params() {
    SigV4Params params;
    params.region = "us-east-1";
    params.service = "kms";
    params.time = WallTime{1440938160};  // 2015-08-30T12:36:00Z
    return params;
}

SigV4Request example_request(std::string target = "/") {
    return SigV4Request{"POST",
                        std::move(target),
                        {{"Host", "kms.us-east-1.amazonaws.com"},
                         {"Content-Type", "application/x-amz-json-1.1"},
                         {"X-Amz-Target", "TrentService.GenerateRandom"}},
                        R"({"NumberOfBytes":32})"};
}

// The canonical request's second and third lines: URI and query.
std::pair<std::string, std::string> canonical_uri_and_query(const std::string& target,
                                                            bool normalize) {
    SigV4Params params = example_params();
    params.normalize_path = normalize;
    const Result<SigV4Result> result =
        sigv4_sign(example_request(target), example_credentials, params);
    if (!result) {
        return {"<error>", result.error().message};
    }
    const std::vector<std::string> lines = split_lines(result->canonical_request);
    return {lines.at(1), lines.at(2)};
}

// Expects code, and a message that holds neither secret.
void expect_rejected(const Result<SigV4Result>& result, ErrorCode code,
                     const Credentials& credentials = example_credentials) {
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, code) << result.error().message;
    EXPECT_FALSE(result.error().message.empty());
    const std::string& message = result.error().message;
    for (const Secret* secret : {&credentials.secret_access_key, &credentials.session_token}) {
        if (!secret->empty()) {
            EXPECT_EQ(message.find(secret->reveal()), std::string::npos);
        }
    }
}

TEST(SigV4AmzDate, FormatsKnownInstants) {
    EXPECT_EQ(amz_date(WallTime{0}), "19700101T000000Z");
    EXPECT_EQ(amz_date(WallTime{1440938160}), "20150830T123600Z");
    EXPECT_EQ(amz_date(WallTime{951782400}), "20000229T000000Z");   // leap day, century rule
    EXPECT_EQ(amz_date(WallTime{4107542399}), "21000228T235959Z");  // 2100 is no leap year
    EXPECT_EQ(amz_date(WallTime{4107542400}), "21000301T000000Z");
    EXPECT_EQ(amz_date(WallTime{253402300799}), "99991231T235959Z");
}

RC_GTEST_PROP(SigV4AmzDate, AgreesWithGmtime, ()) {
    const auto seconds = *rc::gen::inRange<std::int64_t>(0, 253402300800);
    const std::time_t time = static_cast<std::time_t>(seconds);
    std::tm parts{};
    RC_ASSERT(gmtime_r(&time, &parts) != nullptr);
    std::array<char, 32> expected{};
    RC_ASSERT(std::strftime(expected.data(), expected.size(), "%Y%m%dT%H%M%SZ", &parts) == 16U);
    RC_ASSERT(amz_date(WallTime{seconds}) == std::string(expected.data()));
}

TEST(SigV4CanonicalUri, NormalizedPathIsEncodedASecondTime) {
    EXPECT_EQ(canonical_uri_and_query("/a%20b/c", true).first, "/a%2520b/c");
    EXPECT_EQ(canonical_uri_and_query("/a b", true).first, "/a%20b");
    EXPECT_EQ(canonical_uri_and_query("/a/b/..", true).first, "/a/");
    EXPECT_EQ(canonical_uri_and_query("/a/./b//c", true).first, "/a/b/c");
    EXPECT_EQ(canonical_uri_and_query("/../..", true).first, "/");
    EXPECT_EQ(canonical_uri_and_query("/~a!", true).first, "/~a%21");
}

TEST(SigV4CanonicalUri, UnnormalizedPathIsEncodedOnce) {
    EXPECT_EQ(canonical_uri_and_query("/a%20b/c", false).first, "/a%20b/c");
    EXPECT_EQ(canonical_uri_and_query("/a b//./", false).first, "/a%20b//./");
    EXPECT_EQ(canonical_uri_and_query("/100%", false).first, "/100%25");  // not an escape
}

TEST(SigV4CanonicalQuery, SortsEncodesAndKeepsEmptyValues) {
    EXPECT_EQ(canonical_uri_and_query("/?b=2&a=1&a=0&c", true).second, "a=0&a=1&b=2&c=");
    EXPECT_EQ(canonical_uri_and_query("/?a=1&&b=2&", true).second, "a=1&b=2");
    EXPECT_EQ(canonical_uri_and_query("/?k=a+b c", true).second, "k=a%2Bb%20c");
    EXPECT_EQ(canonical_uri_and_query("/?k=%7e%2f", true).second, "k=~%2F");
    EXPECT_EQ(canonical_uri_and_query("/?=v", true).second, "=v");
    EXPECT_EQ(canonical_uri_and_query("/", true).second, "");
}

TEST(SigV4CanonicalHeaders, TrimsFoldsAndJoinsRepeats) {
    SigV4Request request = example_request();
    request.headers.emplace_back("X-Spaced", "\t  a \t\t b  c\t");
    request.headers.emplace_back("x-repeated", "2");
    request.headers.emplace_back("X-REPEATED", " 1 ");
    // No session token, so that the canonical request printed on failure holds no secret.
    const Credentials long_term{"AKIDEXAMPLE", Secret("secret"), {}};
    const Result<SigV4Result> result = sigv4_sign(request, long_term, example_params());
    ASSERT_TRUE(result.has_value()) << result.error().message;

    EXPECT_NE(result->canonical_request.find("\nx-repeated:2,1\nx-spaced:a b c\n"),
              std::string::npos)
        << result->canonical_request;
    EXPECT_NE(result->canonical_request.find(
                  "\ncontent-type;host;x-amz-date;x-amz-target;x-repeated;x-spaced\n"),
              std::string::npos)
        << result->canonical_request;
}

TEST(SigV4Sign, AuthorizationNamesKeyScopeHeadersAndSignature) {
    const Result<SigV4Result> result =
        sigv4_sign(example_request(), example_credentials, example_params());
    ASSERT_TRUE(result.has_value()) << result.error().message;

    EXPECT_EQ(result->amz_date, "20150830T123600Z");
    EXPECT_EQ(result->signature.size(), 64U);
    EXPECT_EQ(result->signature.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(result->authorization,
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, "
              "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
              "Signature=" +
                  result->signature);
    // SHA-256 of {"NumberOfBytes":32}, from sha256sum.
    EXPECT_EQ(result->payload_hash,
              "b386e4217667b85b62d23d3751c5cd6ec17da520661d3785147076dbc373761c");
}

TEST(SigV4Sign, RejectsRequestWithoutHost) {
    SigV4Request request = example_request();
    request.headers.erase(request.headers.begin());
    expect_rejected(sigv4_sign(request, example_credentials, example_params()),
                    ErrorCode::bad_field);
}

TEST(SigV4Sign, RejectsMethodOrHeaderNameThatIsNoToken) {
    for (const std::string method : {"", "GE T", "POST\r\n"}) {
        SigV4Request request = example_request();
        request.method = method;
        expect_rejected(sigv4_sign(request, example_credentials, example_params()),
                        ErrorCode::bad_field);
    }
    for (const std::string name : {"", "Bad Name", "a:b", "X-\xc3\xa9"}) {
        SigV4Request request = example_request();
        request.headers.emplace_back(name, "v");
        expect_rejected(sigv4_sign(request, example_credentials, example_params()),
                        ErrorCode::bad_field);
    }
}

TEST(SigV4Sign, RejectsControlCharactersInValues) {
    const std::vector<std::string> values = {"a\r\nInjected: 1", "a\nb", std::string("a\0b", 3),
                                             "\x7f"};
    for (const std::string& value : values) {
        SigV4Request request = example_request();
        request.headers.emplace_back("X-Value", value);
        expect_rejected(sigv4_sign(request, example_credentials, example_params()),
                        ErrorCode::bad_field);
    }

    Credentials credentials = example_credentials;
    credentials.session_token = Secret("token\r\nX-Injected: 1");
    expect_rejected(sigv4_sign(example_request(), credentials, example_params()),
                    ErrorCode::bad_field, credentials);
}

TEST(SigV4Sign, RejectsTargetNotStartingWithSlash) {
    for (const std::string target : {"", "*", "example", "?a=1", "http://host/"}) {
        expect_rejected(sigv4_sign(example_request(target), example_credentials, example_params()),
                        ErrorCode::bad_field);
    }
}

TEST(SigV4Sign, RejectsHeadersTheSignerAdds) {
    for (const std::string name :
         {"Authorization", "X-Amz-Date", "x-amz-security-token", "X-AMZ-CONTENT-SHA256"}) {
        SigV4Request request = example_request();
        request.headers.emplace_back(name, "value");
        expect_rejected(sigv4_sign(request, example_credentials, example_params()),
                        ErrorCode::bad_field);
    }
}

TEST(SigV4Sign, RejectsBadScope) {
    for (const std::string bad : {"", "us east 1", "us/east/1", "us-east-1\n", "r\xc3\xa9gion"}) {
        SigV4Params params = example_params();
        params.region = bad;
        expect_rejected(sigv4_sign(example_request(), example_credentials, params),
                        ErrorCode::bad_config);

        params = example_params();
        params.service = bad;
        expect_rejected(sigv4_sign(example_request(), example_credentials, params),
                        ErrorCode::bad_config);
    }
}

TEST(SigV4Sign, RejectsTimeOutsideFourDigitYears) {
    for (const std::int64_t seconds : {std::int64_t{-1}, std::int64_t{253402300800}}) {
        SigV4Params params = example_params();
        params.time = WallTime{seconds};
        expect_rejected(sigv4_sign(example_request(), example_credentials, params),
                        ErrorCode::bad_config);
    }
}

TEST(SigV4Sign, RejectsMissingOrMalformedCredentials) {
    Credentials no_id = example_credentials;
    no_id.access_key_id.clear();
    expect_rejected(sigv4_sign(example_request(), no_id, example_params()),
                    ErrorCode::missing_field);

    Credentials no_secret = example_credentials;
    no_secret.secret_access_key = Secret();
    expect_rejected(sigv4_sign(example_request(), no_secret, example_params()),
                    ErrorCode::missing_field, no_secret);

    for (const std::string id : {"AKID/EXAMPLE", "AKID EXAMPLE", "AKID,EXAMPLE", "AKID="}) {
        Credentials bad_id = example_credentials;
        bad_id.access_key_id = id;
        expect_rejected(sigv4_sign(example_request(), bad_id, example_params()),
                        ErrorCode::bad_field);
    }
}

TEST(SigV4Sign, ContentSha256IsSignedOnlyWhenAskedFor) {
    SigV4Params params = example_params();
    const Result<SigV4Result> plain = sigv4_sign(example_request(), example_credentials, params);
    params.sign_content_sha256 = true;
    const Result<SigV4Result> with_hash =
        sigv4_sign(example_request(), example_credentials, params);
    ASSERT_TRUE(plain.has_value() && with_hash.has_value());

    EXPECT_EQ(plain->canonical_request.find("x-amz-content-sha256"), std::string::npos);
    EXPECT_NE(with_hash->canonical_request.find(
                  "\nx-amz-content-sha256:" + with_hash->payload_hash + "\n"),
              std::string::npos);
    EXPECT_NE(plain->signature, with_hash->signature);
}

// ---------------------------------------------------------------------------
// sign_request: what the seeder calls.

HttpRequest example_http_request() {
    HttpRequest request;
    request.label = "kms/generate-random";
    request.endpoint = Endpoint{Scheme::https, "kms.us-east-1.amazonaws.com", 443};
    request.method = "POST";
    request.target = "/";
    request.headers = {{"Content-Type", "application/x-amz-json-1.1", false},
                       {"X-Amz-Target", "TrentService.GenerateRandom", false}};
    request.body = R"({"NumberOfBytes":32})";
    return request;
}

std::size_t count_headers(const HttpRequest& request, std::string_view name) {
    return static_cast<std::size_t>(std::count_if(
        request.headers.begin(), request.headers.end(),
        [&](const HttpHeader& h) { return lowercase(h.name) == lowercase(std::string(name)); }));
}

const HttpHeader* header_named(const HttpRequest& request, std::string_view name) {
    for (const HttpHeader& header : request.headers) {
        if (lowercase(header.name) == lowercase(std::string(name))) {
            return &header;
        }
    }
    return nullptr;
}

TEST(SigV4SignRequest, AddsDateTokenAndAuthorizationWithSecretsMarked) {
    HttpRequest request = example_http_request();
    ASSERT_TRUE(sign_request(request, example_credentials, example_params()).has_value());

    // The Host that is signed is the endpoint's; the transport adds it, so no Host here.
    EXPECT_EQ(count_headers(request, "Host"), 0U);
    const Result<SigV4Result> direct =
        sigv4_sign(example_request(), example_credentials, example_params());
    ASSERT_TRUE(direct.has_value());

    const HttpHeader* date = header_named(request, "X-Amz-Date");
    const HttpHeader* token = header_named(request, "X-Amz-Security-Token");
    const HttpHeader* authorization = header_named(request, "Authorization");
    ASSERT_TRUE(date != nullptr && token != nullptr && authorization != nullptr);
    EXPECT_EQ(date->value, "20150830T123600Z");
    EXPECT_FALSE(date->sensitive);
    EXPECT_EQ(token->value, "session-token-value");
    EXPECT_TRUE(token->sensitive);
    EXPECT_EQ(authorization->value, direct->authorization);
    EXPECT_TRUE(authorization->sensitive);
    EXPECT_EQ(request.headers.size(), 5U);
}

TEST(SigV4SignRequest, SignsTheRequestsOwnHostWhenPresent) {
    HttpRequest request = example_http_request();
    request.headers.insert(request.headers.begin(), HttpHeader{"Host", "other.example", false});
    ASSERT_TRUE(sign_request(request, example_credentials, example_params()).has_value());
    HttpRequest plain = example_http_request();
    ASSERT_TRUE(sign_request(plain, example_credentials, example_params()).has_value());

    EXPECT_EQ(count_headers(request, "Host"), 1U);
    EXPECT_NE(header_named(request, "Authorization")->value,
              header_named(plain, "Authorization")->value);
}

TEST(SigV4SignRequest, ResigningReplacesThePreviousSignature) {
    HttpRequest request = example_http_request();
    ASSERT_TRUE(sign_request(request, example_credentials, example_params()).has_value());
    const std::string first = header_named(request, "Authorization")->value;

    SigV4Params later = example_params();
    later.time += WallTime{90};
    ASSERT_TRUE(sign_request(request, example_credentials, later).has_value());

    EXPECT_EQ(count_headers(request, "Authorization"), 1U);
    EXPECT_EQ(count_headers(request, "X-Amz-Date"), 1U);
    EXPECT_EQ(count_headers(request, "X-Amz-Security-Token"), 1U);
    EXPECT_EQ(header_named(request, "X-Amz-Date")->value, "20150830T123730Z");
    EXPECT_NE(header_named(request, "Authorization")->value, first);

    HttpRequest fresh = example_http_request();
    ASSERT_TRUE(sign_request(fresh, example_credentials, later).has_value());
    EXPECT_EQ(header_named(request, "Authorization")->value,
              header_named(fresh, "Authorization")->value);
}

TEST(SigV4SignRequest, UnsignedTokenIsStillSent) {
    SigV4Params params = example_params();
    params.sign_session_token = false;
    HttpRequest request = example_http_request();
    ASSERT_TRUE(sign_request(request, example_credentials, params).has_value());

    ASSERT_NE(header_named(request, "X-Amz-Security-Token"), nullptr);
    EXPECT_EQ(header_named(request, "Authorization")->value.find("x-amz-security-token"),
              std::string::npos);
}

TEST(SigV4SignRequest, LongTermKeysSendNoToken) {
    Credentials credentials = example_credentials;
    credentials.session_token = Secret();
    HttpRequest request = example_http_request();
    ASSERT_TRUE(sign_request(request, credentials, example_params()).has_value());

    EXPECT_EQ(count_headers(request, "X-Amz-Security-Token"), 0U);
    EXPECT_NE(header_named(request, "Authorization")
                  ->value.find("SignedHeaders=content-type;host;x-amz-date;x-amz-target,"),
              std::string::npos);
}

TEST(SigV4SignRequest, FailureLeavesTheRequestUnchanged) {
    HttpRequest request = example_http_request();
    ASSERT_TRUE(sign_request(request, example_credentials, example_params()).has_value());
    const std::vector<HttpHeader> before = request.headers;

    SigV4Params bad = example_params();
    bad.region.clear();
    const Status status = sign_request(request, example_credentials, bad);
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().code, ErrorCode::bad_config);

    ASSERT_EQ(request.headers.size(), before.size());
    for (std::size_t i = 0; i < before.size(); ++i) {
        EXPECT_EQ(request.headers[i].name, before[i].name);
        EXPECT_EQ(request.headers[i].value, before[i].value);
    }
}

// ---------------------------------------------------------------------------
// Comparison with botocore's SigV4Auth (Debian's python3-botocore), an
// independent implementation, over randomly generated KMS GenerateRandom requests.

constexpr std::size_t botocore_case_count = 300;

std::uint64_t comparison_seed() {
    if (const char* text = std::getenv("EC2SEED_TEST_SEED")) {
        return std::strtoull(text, nullptr, 10);
    }
    std::random_device device;
    return (std::uint64_t{device()} << 32) | device();
}

class CaseGenerator {
  public:
    explicit CaseGenerator(std::uint64_t seed) : m_engine(seed) {}

    std::size_t number(std::size_t low, std::size_t high) {
        return std::uniform_int_distribution<std::size_t>(low, high)(m_engine);
    }
    bool chance(double probability) { return std::bernoulli_distribution(probability)(m_engine); }

    std::string text(std::string_view alphabet, std::size_t length) {
        std::string out;
        for (std::size_t i = 0; i < length; ++i) {
            out += alphabet[number(0, alphabet.size() - 1)];
        }
        return out;
    }

  private:
    std::mt19937_64 m_engine;
};

constexpr std::string_view upper_digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view lower_alphabet = "abcdefghijklmnopqrstuvwxyz";

struct KmsCase {
    std::size_t index = 0;
    HttpRequest request;
    Credentials credentials;
    SigV4Params params;
};

KmsCase random_kms_case(CaseGenerator& random, std::size_t index) {
    static const std::vector<std::string> regions = {
        "us-east-1",  "us-west-2",  "eu-central-1",  "ap-southeast-2", "sa-east-1",
        "me-south-1", "cn-north-1", "us-gov-west-1", "il-central-1",   "ca-west-1"};

    KmsCase test_case;
    test_case.index = index;
    test_case.params.service = "kms";
    test_case.params.region = random.chance(0.7)
                                  ? regions[random.number(0, regions.size() - 1)]
                                  : random.text(lower_alphabet, 2) + "-" +
                                        random.text(lower_alphabet, random.number(4, 9)) + "-" +
                                        std::to_string(random.number(1, 9));

    // 2000-01-01 .. 2099-12-31, sometimes on the last or first second of a day.
    std::int64_t seconds = static_cast<std::int64_t>(random.number(946684800, 4102444799));
    if (random.chance(0.2)) {
        seconds -= seconds % 86400;
        seconds += random.chance(0.5) ? 0 : 86399;
    }
    test_case.params.time = WallTime{seconds};

    Credentials& credentials = test_case.credentials;
    credentials.access_key_id =
        (random.chance(0.5) ? "ASIA" : "AKIA") + random.text(upper_digits, 16);
    credentials.secret_access_key =
        random.chance(0.8) ? Secret(random.text(base64_alphabet, 40))
                           : Secret(random.text(" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~abcXYZ019",
                                                random.number(1, 80)));
    if (random.chance(0.7)) {
        credentials.session_token =
            Secret(random.text(base64_alphabet, random.number(100, 1200)) + "==");
    }

    HttpRequest& request = test_case.request;
    if (random.chance(0.5)) {
        request.endpoint =
            Endpoint{Scheme::https, "kms." + test_case.params.region + ".amazonaws.com", 443};
    } else {
        request.endpoint = Endpoint{random.chance(0.5) ? Scheme::http : Scheme::https, "127.0.0.1",
                                    static_cast<std::uint16_t>(random.number(1024, 65535))};
    }
    request.method = "POST";
    request.target = "/";
    request.headers = {{"Content-Type", "application/x-amz-json-1.1", false},
                       {"X-Amz-Target", "TrentService.GenerateRandom", false}};
    if (random.chance(0.1)) {
        // Exercises trimming: botocore and the signer must agree on it.
        request.headers.push_back(
            {"X-Ec2seed-Trace", "  " + random.text("ab ", 12) + "x  ", false});
    }
    request.body = "{\"NumberOfBytes\":" + std::to_string(random.number(1, 1024));
    if (random.chance(0.3)) {
        request.body += ",\"CustomKeyStoreId\":\"cks-" + random.text("0123456789abcdef", 17) + "\"";
    }
    request.body += "}";
    return test_case;
}

std::string url_of(const Endpoint& endpoint) {
    return std::string(endpoint.scheme == Scheme::https ? "https://" : "http://") + endpoint.host +
           ":" + std::to_string(endpoint.port) + "/";
}

// What botocore is given: the inputs only, never ec2seed's output.
std::string botocore_input_line(const KmsCase& test_case, const HttpRequest& unsigned_request) {
    boost::json::array headers;
    for (const HttpHeader& header : unsigned_request.headers) {
        headers.push_back(boost::json::array{boost::json::string(header.name),
                                             boost::json::string(header.value)});
    }
    boost::json::object line;
    line["index"] = test_case.index;
    line["method"] = unsigned_request.method;
    line["url"] = url_of(unsigned_request.endpoint);
    line["headers"] = std::move(headers);
    line["body"] = unsigned_request.body;
    line["access_key_id"] = test_case.credentials.access_key_id;
    line["secret_access_key"] = test_case.credentials.secret_access_key.reveal();
    if (test_case.credentials.session_token.empty()) {
        line["session_token"] = nullptr;
    } else {
        line["session_token"] = test_case.credentials.session_token.reveal();
    }
    line["region"] = test_case.params.region;
    line["service"] = test_case.params.service;
    line["epoch_seconds"] = test_case.params.time.count();
    return boost::json::serialize(line);
}

// "AWS4-HMAC-SHA256 Credential=<id>/<scope>, SignedHeaders=<list>": the part of an
// Authorization value that may be printed.
std::string without_signature(const std::string& authorization) {
    return authorization.substr(0, authorization.find(", Signature="));
}

struct TempDir {
    fs::path path;
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "ec2seed-sigv4-XXXXXX").string();
        if (mkdtemp(pattern.data()) != nullptr) {
            path = pattern;
        }
    }
    ~TempDir() {
        std::error_code ignored;
        if (!path.empty()) {
            fs::remove_all(path, ignored);
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

struct BotocoreRun {
    int exit_status = -1;
    std::vector<std::string> lines;  // stdout
    std::string errors;              // stderr (names case indexes only)
};

BotocoreRun run_botocore(const TempDir& dir, const std::vector<std::string>& input_lines) {
    const fs::path input = dir.path / "cases.jsonl";
    const fs::path output = dir.path / "botocore.out";
    const fs::path errors = dir.path / "botocore.err";
    {
        std::ofstream out(input, std::ios::binary);
        for (const std::string& line : input_lines) {
            out << line << '\n';
        }
    }

    // -I: isolated mode, so no PYTHON* variable or user site can swap botocore.
    const fs::path script = fs::path(EC2SEED_TESTS_DIR) / "unit" / "sigv4_botocore.py";
    const std::string command = std::string("'") + EC2SEED_PYTHON + "' -I '" + script.string() +
                                "' < '" + input.string() + "' > '" + output.string() + "' 2> '" +
                                errors.string() + "'";
    BotocoreRun run;
    run.exit_status = std::system(command.c_str());
    run.lines = split_lines(read_text(output).value_or(""));
    run.errors = read_text(errors).value_or("");
    return run;
}

TEST(SigV4Botocore, RandomKmsRequestsSignAlike) {
    ASSERT_TRUE(fs::exists(EC2SEED_PYTHON)) << EC2SEED_PYTHON << " is missing";
    const std::uint64_t seed = comparison_seed();
    std::cout << "SigV4Botocore seed " << seed << " (rerun with EC2SEED_TEST_SEED=" << seed
              << ")\n";
    RecordProperty("seed", std::to_string(seed));
    SCOPED_TRACE("seed " + std::to_string(seed));

    CaseGenerator random(seed);
    std::vector<KmsCase> cases;
    std::vector<std::string> input_lines;
    std::vector<HttpRequest> signed_requests;
    for (std::size_t i = 0; i < botocore_case_count; ++i) {
        cases.push_back(random_kms_case(random, i));
        input_lines.push_back(botocore_input_line(cases.back(), cases.back().request));
        HttpRequest signed_request = cases.back().request;
        const Status status =
            sign_request(signed_request, cases.back().credentials, cases.back().params);
        ASSERT_TRUE(status.has_value()) << "case " << i << ": " << status.error().message;
        signed_requests.push_back(std::move(signed_request));
    }

    const TempDir dir;
    ASSERT_FALSE(dir.path.empty()) << "could not make a temporary directory";
    const BotocoreRun run = run_botocore(dir, input_lines);
    ASSERT_EQ(run.exit_status, 0) << "botocore script failed: " << run.errors;

    // The reference must be Debian's botocore, and it must have signed every case.
    ASSERT_GE(run.lines.size(), 2U);
    EXPECT_EQ(run.lines.front().rfind("botocore ", 0), 0U) << run.lines.front();
    EXPECT_NE(run.lines.front().find(" /usr/lib/python3/dist-packages/botocore/"),
              std::string::npos)
        << run.lines.front();
    std::cout << run.lines.front() << "\n";
    EXPECT_EQ(run.lines.back(), "count " + std::to_string(botocore_case_count));
    ASSERT_EQ(run.lines.size(), botocore_case_count + 2);

    std::vector<bool> seen(botocore_case_count, false);
    std::size_t matched = 0;
    for (std::size_t line = 1; line + 1 < run.lines.size(); ++line) {
        boost::json::error_code error;
        const boost::json::value json = boost::json::parse(run.lines[line], error);
        ASSERT_FALSE(error) << "botocore line " << line << " is not JSON";
        const boost::json::object& reply = json.as_object();
        const std::size_t index = static_cast<std::size_t>(reply.at("index").as_int64());
        ASSERT_LT(index, botocore_case_count);
        ASSERT_FALSE(seen[index]) << "botocore answered case " << index << " twice";
        seen[index] = true;

        const KmsCase& test_case = cases[index];
        const HttpRequest& ours = signed_requests[index];
        const std::string theirs(reply.at("authorization").as_string());
        const std::string our_authorization = header_named(ours, "Authorization")->value;
        const bool token_sent = header_named(ours, "X-Amz-Security-Token") != nullptr;

        // Only non-secret fields are printed: no key, token or signature.
        const bool same = our_authorization == theirs;
        EXPECT_TRUE(same) << "case " << index << ": signatures differ; region "
                          << test_case.params.region << ", host " << host_header(ours.endpoint)
                          << ", X-Amz-Date " << header_named(ours, "X-Amz-Date")->value << ", body "
                          << ours.body << ", session token " << (token_sent ? "yes" : "no")
                          << "\n  ours:     " << without_signature(our_authorization)
                          << "\n  botocore: " << without_signature(theirs);
        EXPECT_EQ(header_named(ours, "X-Amz-Date")->value,
                  std::string(reply.at("x_amz_date").as_string()))
            << "case " << index;
        EXPECT_EQ(token_sent, reply.at("security_token_sent").as_bool()) << "case " << index;
        matched += same ? 1 : 0;
    }
    EXPECT_EQ(matched, botocore_case_count);
}

// The harness itself: botocore, run by the script, reproduces a published answer.
TEST(SigV4Botocore, ScriptReproducesTheSuitesPostVanilla) {
    const std::optional<std::string> signed_text =
        read_text(suite_root / "post-vanilla" / "header-signed-request.txt");
    ASSERT_TRUE(signed_text.has_value()) << "the SigV4 test suite is missing at " << suite_root;
    const std::size_t at = signed_text->find("Authorization:");
    ASSERT_NE(at, std::string::npos);
    const std::string expected =
        signed_text->substr(at + 14, signed_text->find('\n', at) - at - 14);

    KmsCase test_case;
    test_case.credentials =
        Credentials{"AKIDEXAMPLE", Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), {}};
    test_case.params.region = "us-east-1";
    test_case.params.service = "service";
    test_case.params.time = WallTime{1440938160};
    test_case.request.method = "POST";
    test_case.request.target = "/";
    test_case.request.endpoint = Endpoint{Scheme::https, "example.amazonaws.com", 443};

    const TempDir dir;
    ASSERT_FALSE(dir.path.empty());
    const BotocoreRun run = run_botocore(dir, {botocore_input_line(test_case, test_case.request)});
    ASSERT_EQ(run.exit_status, 0) << run.errors;
    ASSERT_EQ(run.lines.size(), 3U);
    EXPECT_EQ(run.lines.back(), "count 1");
    const boost::json::value reply = boost::json::parse(run.lines[1]);
    EXPECT_EQ(std::string(reply.at("authorization").as_string()), expected);
}

// ---------------------------------------------------------------------------
// Properties: a change to any signed part changes the signature; a change to an
// unsigned one does not.

struct SigningInput {
    SigV4Request request;
    Credentials credentials;
    SigV4Params params;
};

rc::Gen<std::string> gen_word(std::string_view alphabet, std::size_t max_length) {
    const std::string letters(alphabet);
    return rc::gen::map(rc::gen::container<std::vector<std::size_t>>(
                            rc::gen::inRange<std::size_t>(0, letters.size())),
                        [letters, max_length](const std::vector<std::size_t>& picks) {
                            std::string word;
                            for (std::size_t i = 0; i < picks.size() && i < max_length; ++i) {
                                word += letters[picks[i]];
                            }
                            return word.empty() ? std::string(1, letters.front()) : word;
                        });
}

const std::string alnum_letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

SigningInput gen_signing_input() {
    SigningInput input;
    input.request.method = *rc::gen::element<std::string>("GET", "POST", "PUT", "DELETE");
    input.request.target = "/" + *gen_word(alnum_letters, 12);
    if (*rc::gen::arbitrary<bool>()) {
        input.request.target +=
            "?" + *gen_word(alnum_letters, 8) + "=" + *gen_word(alnum_letters, 8);
    }
    input.request.headers = {{"Host", *gen_word("abcdefghij.", 20) + ".example"},
                             {"X-Amz-Target", *gen_word(alnum_letters, 20)}};
    input.request.body = *rc::gen::arbitrary<std::string>();

    input.credentials.access_key_id = "AKIA" + *gen_word("ABCDEFGHIJKLMNOP0123456789", 16);
    input.credentials.secret_access_key = Secret(*gen_word(alnum_letters + "+/", 40));
    if (*rc::gen::arbitrary<bool>()) {
        input.credentials.session_token = Secret(*gen_word(alnum_letters + "+/=", 64));
    }

    input.params.region = *gen_word("abcdefghijklmnopqrstuvwxyz-0123456789", 16);
    input.params.service = *gen_word("abcdefghijklmnopqrstuvwxyz", 10);
    input.params.time = WallTime{*rc::gen::inRange<std::int64_t>(0, 253402300000)};
    return input;
}

std::string signature_of(const SigningInput& input) {
    const Result<SigV4Result> result = sigv4_sign(input.request, input.credentials, input.params);
    RC_ASSERT(result.has_value());
    return result->signature;
}

template <typename T>
T different_from(const T& current, const rc::Gen<T>& generator) {
    return *rc::gen::suchThat(generator, [&current](const T& value) { return value != current; });
}

enum class SignedPart : std::uint8_t {
    method,
    path,
    query,
    header_value,
    body,
    region,
    service,
    date,
    secret_key,
    session_token,
};

std::string_view name_of(SignedPart part) {
    switch (part) {
        case SignedPart::method:
            return "method";
        case SignedPart::path:
            return "path";
        case SignedPart::query:
            return "query";
        case SignedPart::header_value:
            return "header value";
        case SignedPart::body:
            return "body";
        case SignedPart::region:
            return "region";
        case SignedPart::service:
            return "service";
        case SignedPart::date:
            return "date";
        case SignedPart::secret_key:
            return "secret key";
        case SignedPart::session_token:
            return "session token";
    }
    return "?";
}

void change(SignedPart part, SigningInput& input) {
    switch (part) {
        case SignedPart::method:
            input.request.method = different_from(
                input.request.method,
                rc::gen::element<std::string>("GET", "POST", "PUT", "DELETE", "PATCH"));
            return;
        case SignedPart::path: {
            const std::size_t question = input.request.target.find('?');
            input.request.target.insert(std::min(question, input.request.target.size()),
                                        "/" + *gen_word(alnum_letters, 8));
            return;
        }
        case SignedPart::query:
            input.request.target +=
                (input.request.target.find('?') == std::string::npos ? "?" : "&");
            input.request.target += *gen_word(alnum_letters, 8);
            return;
        case SignedPart::header_value:
            input.request.headers.back().second =
                different_from(input.request.headers.back().second, gen_word(alnum_letters, 20));
            return;
        case SignedPart::body:
            input.request.body =
                different_from(input.request.body, rc::gen::arbitrary<std::string>());
            return;
        case SignedPart::region:
            input.params.region = different_from(input.params.region, gen_word("abc-123", 16));
            return;
        case SignedPart::service:
            input.params.service = different_from(input.params.service, gen_word("kmsabc", 10));
            return;
        case SignedPart::date:
            input.params.time += WallTime{*rc::gen::inRange<std::int64_t>(1, 600)};
            return;
        case SignedPart::secret_key: {
            const std::string current(input.credentials.secret_access_key.reveal());
            input.credentials.secret_access_key =
                Secret(different_from(current, gen_word(alnum_letters + "+/", 40)));
            return;
        }
        case SignedPart::session_token: {
            const std::string current(input.credentials.session_token.reveal());
            // Present becomes absent or another token; absent becomes present.
            const bool drop = !current.empty() && *rc::gen::arbitrary<bool>();
            input.credentials.session_token =
                drop ? Secret() : Secret(different_from(current, gen_word(alnum_letters, 64)));
            return;
        }
    }
}

RC_GTEST_PROP(SigV4Property, ChangingAnySignedPartChangesTheSignature, ()) {
    SigningInput input = gen_signing_input();
    const std::string before = signature_of(input);

    const SignedPart part = *rc::gen::element(
        SignedPart::method, SignedPart::path, SignedPart::query, SignedPart::header_value,
        SignedPart::body, SignedPart::region, SignedPart::service, SignedPart::date,
        SignedPart::secret_key, SignedPart::session_token);
    RC_TAG(std::string(name_of(part)));
    change(part, input);

    RC_ASSERT(signature_of(input) != before);
}

RC_GTEST_PROP(SigV4Property, UnsignedTokenDoesNotChangeTheSignature, ()) {
    SigningInput input = gen_signing_input();
    input.params.sign_session_token = false;
    const std::string before = signature_of(input);

    change(SignedPart::session_token, input);

    RC_ASSERT(signature_of(input) == before);
}

RC_GTEST_PROP(SigV4Property, ParameterOrderAndHeaderNameCaseDoNotMatter, ()) {
    SigningInput input = gen_signing_input();
    const std::string first = *gen_word(alnum_letters, 6) + "=" + *gen_word(alnum_letters, 6);
    const std::string second = *gen_word(alnum_letters, 6) + "=" + *gen_word(alnum_letters, 6);
    const std::string path = input.request.target.substr(0, input.request.target.find('?'));
    input.request.target = path + "?" + first + "&" + second;
    const std::string before = signature_of(input);

    input.request.target = path + "?" + second + "&" + first;
    input.request.headers.back().first = "x-AMZ-tARGET";

    RC_ASSERT(signature_of(input) == before);
}

RC_GTEST_PROP(SigV4Property, SigningIsDeterministic, ()) {
    const SigningInput input = gen_signing_input();
    const Result<SigV4Result> a = sigv4_sign(input.request, input.credentials, input.params);
    const Result<SigV4Result> b = sigv4_sign(input.request, input.credentials, input.params);
    RC_ASSERT(a.has_value() && b.has_value());
    RC_ASSERT(a->canonical_request == b->canonical_request);
    RC_ASSERT(a->authorization == b->authorization);
}

}  // namespace
}  // namespace ec2seed
