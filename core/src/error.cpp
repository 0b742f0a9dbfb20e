// Names and classes of the core's error codes, as one table. The classes drive
// the seeder's retry decisions and tell a person reading a report where to look.
#include "ec2seed/core/error.h"

#include <array>
#include <cstddef>

namespace ec2seed {

namespace {

struct ErrorInfo {
    ErrorCode code;
    std::string_view name;
    Retry retry;
    Origin origin;
};

// Codec rejections are local checks (error.h) of requests worth sending again:
// IMDS may still be filling in credentials, a reply may have been truncated.
// Configuration, the kernel and the run's budget fail the same way every time.
constexpr std::array error_table{
    ErrorInfo{ErrorCode::input_too_large, "input_too_large", Retry::retryable, Origin::local},
    ErrorInfo{ErrorCode::bad_base64, "bad_base64", Retry::retryable, Origin::local},
    ErrorInfo{ErrorCode::bad_json, "bad_json", Retry::retryable, Origin::local},
    ErrorInfo{ErrorCode::missing_field, "missing_field", Retry::retryable, Origin::local},
    ErrorInfo{ErrorCode::bad_field, "bad_field", Retry::retryable, Origin::local},
    ErrorInfo{ErrorCode::bad_token, "bad_token", Retry::retryable, Origin::local},
    ErrorInfo{ErrorCode::bad_instance_id, "bad_instance_id", Retry::retryable, Origin::local},
    ErrorInfo{ErrorCode::bad_ipv4, "bad_ipv4", Retry::retryable, Origin::local},
    ErrorInfo{ErrorCode::bad_mac, "bad_mac", Retry::retryable, Origin::local},
    ErrorInfo{ErrorCode::bad_region, "bad_region", Retry::retryable, Origin::local},
    ErrorInfo{ErrorCode::bad_length, "bad_length", Retry::retryable, Origin::local},
    ErrorInfo{ErrorCode::credentials_not_success, "credentials_not_success", Retry::retryable,
              Origin::remote},
    ErrorInfo{ErrorCode::unsupported_hash, "unsupported_hash", Retry::fatal, Origin::local},
    ErrorInfo{ErrorCode::bad_config, "bad_config", Retry::fatal, Origin::local},
    ErrorInfo{ErrorCode::http_status, "http_status", Retry::retryable, Origin::remote},
    ErrorInfo{ErrorCode::transport, "transport", Retry::retryable, Origin::remote},
    ErrorInfo{ErrorCode::kms_throttling, "kms_throttling", Retry::retryable, Origin::remote},
    ErrorInfo{ErrorCode::kms_transient, "kms_transient", Retry::retryable, Origin::remote},
    ErrorInfo{ErrorCode::kms_clock_skew, "kms_clock_skew", Retry::retryable, Origin::remote},
    ErrorInfo{ErrorCode::kms_fatal, "kms_fatal", Retry::fatal, Origin::remote},
    ErrorInfo{ErrorCode::kms_rejected_bytes, "kms_rejected_bytes", Retry::retryable,
              Origin::remote},
    ErrorInfo{ErrorCode::entropy_not_applied, "entropy_not_applied", Retry::fatal, Origin::local},
    ErrorInfo{ErrorCode::no_credentials, "no_credentials", Retry::fatal, Origin::local},
    ErrorInfo{ErrorCode::no_region, "no_region", Retry::fatal, Origin::local},
    ErrorInfo{ErrorCode::imds_unavailable, "imds_unavailable", Retry::fatal, Origin::remote},
    ErrorInfo{ErrorCode::retries_exhausted, "retries_exhausted", Retry::fatal, Origin::remote},
    ErrorInfo{ErrorCode::deadline_exceeded, "deadline_exceeded", Retry::fatal, Origin::local},
};

constexpr bool table_is_indexed_by_code() {
    for (std::size_t i = 0; i < error_table.size(); ++i) {
        if (static_cast<std::size_t>(error_table[i].code) != i) {
            return false;
        }
    }
    return true;
}
static_assert(table_is_indexed_by_code(), "error_table must list every ErrorCode in order");
static_assert(static_cast<std::size_t>(ErrorCode::deadline_exceeded) + 1 == error_table.size(),
              "error_table must end with the last ErrorCode");

const ErrorInfo* info(ErrorCode code) noexcept {
    const auto index = static_cast<std::size_t>(code);
    return index < error_table.size() ? &error_table[index] : nullptr;
}

}  // namespace

std::string_view to_string(ErrorCode code) noexcept {
    const ErrorInfo* entry = info(code);
    return entry != nullptr ? entry->name : "unknown";
}

Retry retry_class(ErrorCode code) noexcept {
    const ErrorInfo* entry = info(code);
    return entry != nullptr ? entry->retry : Retry::fatal;
}

Origin origin_of(ErrorCode code) noexcept {
    const ErrorInfo* entry = info(code);
    return entry != nullptr ? entry->origin : Origin::local;
}

}  // namespace ec2seed
