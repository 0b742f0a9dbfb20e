// Error codes: every code has a distinct name and a class the seeder can act on.
#include "ec2seed/core/error.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace ec2seed {
namespace {

constexpr auto first_code = ErrorCode::input_too_large;
constexpr auto last_code = ErrorCode::deadline_exceeded;

TEST(ErrorCode, EveryCodeHasADistinctName) {
    std::set<std::string> names;
    for (auto i = static_cast<int>(first_code); i <= static_cast<int>(last_code); ++i) {
        const auto code = static_cast<ErrorCode>(i);
        const std::string name(to_string(code));
        EXPECT_NE(name, "unknown") << "code " << i;
        EXPECT_FALSE(name.empty()) << "code " << i;
        names.insert(name);
    }
    EXPECT_EQ(names.size(), static_cast<std::size_t>(last_code) + 1);
}

TEST(ErrorCode, NamesMatchTheEnumerators) {
    EXPECT_EQ(to_string(ErrorCode::bad_base64), "bad_base64");
    EXPECT_EQ(to_string(ErrorCode::kms_clock_skew), "kms_clock_skew");
    EXPECT_EQ(to_string(ErrorCode::deadline_exceeded), "deadline_exceeded");
}

TEST(ErrorCode, OutOfRangeValueIsUnknownNotACrash) {
    const auto bogus = static_cast<ErrorCode>(200);
    EXPECT_EQ(to_string(bogus), "unknown");
    EXPECT_EQ(retry_class(bogus), Retry::fatal);
}

TEST(ErrorCode, KmsKindsAreRetryableExceptFatal) {
    EXPECT_EQ(retry_class(ErrorCode::kms_throttling), Retry::retryable);
    EXPECT_EQ(retry_class(ErrorCode::kms_transient), Retry::retryable);
    EXPECT_EQ(retry_class(ErrorCode::kms_clock_skew), Retry::retryable);
    EXPECT_EQ(retry_class(ErrorCode::kms_fatal), Retry::fatal);
    EXPECT_EQ(origin_of(ErrorCode::kms_fatal), Origin::remote);
}

TEST(ErrorCode, ConfigurationErrorsAreLocalAndFatal) {
    for (const auto code : {ErrorCode::bad_config, ErrorCode::unsupported_hash,
                            ErrorCode::no_credentials, ErrorCode::no_region}) {
        EXPECT_EQ(retry_class(code), Retry::fatal) << to_string(code);
        EXPECT_EQ(origin_of(code), Origin::local) << to_string(code);
    }
}

TEST(ErrorCode, PeerFailuresAreRemoteAndRetryable) {
    for (const auto code :
         {ErrorCode::transport, ErrorCode::http_status, ErrorCode::credentials_not_success}) {
        EXPECT_EQ(retry_class(code), Retry::retryable) << to_string(code);
        EXPECT_EQ(origin_of(code), Origin::remote) << to_string(code);
    }
}

TEST(ErrorCode, CodecRejectionsAreLocalChecksOfRetryableRequests) {
    for (const auto code : {ErrorCode::input_too_large, ErrorCode::bad_base64, ErrorCode::bad_json,
                            ErrorCode::bad_mac, ErrorCode::bad_length}) {
        EXPECT_EQ(retry_class(code), Retry::retryable) << to_string(code);
        EXPECT_EQ(origin_of(code), Origin::local) << to_string(code);
    }
}

}  // namespace
}  // namespace ec2seed
