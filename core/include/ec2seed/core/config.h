// The seeder's configuration: a plain value, filled by the command line (app/)
// or by tests. The core reads nothing from the environment; the driver resolves
// flags and AWS_* variables into this value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "ec2seed/core/http.h"
#include "ec2seed/core/secret.h"
#include "ec2seed/core/time.h"

namespace ec2seed {

struct Credentials {
    std::string access_key_id;
    Secret secret_access_key;
    Secret session_token;  // empty for long-term keys
};

enum class ImdsV1Policy : std::uint8_t {
    allow,  // fall back to IMDSv1 when the token request fails (403/404/405/5xx/timeout)
    never,  // IMDSv2 only (AWS_EC2_METADATA_V1_DISABLED)
};

// Bits credited per metadata source (the imds/* names of entropy.h). A source
// absent from the map credits 0. KMS plaintext is not in the map: the seeder
// always credits it 8 bits a byte.
struct CreditPolicy {
    std::map<std::string, std::uint32_t> bits;

    // The original design: the MAC's last three octets, 24 bits; KMS 8 bits a byte.
    static CreditPolicy defaults();
    // Nothing credited from metadata; KMS still 8 bits a byte.
    static CreditPolicy none();
};

struct RetryPolicy {
    // AWS SDK standard retry mode: 3 attempts in all, full-jitter exponential
    // backoff, capped at 20 s.
    int max_attempts = 3;
    MonoTime base_delay{1000};
    MonoTime max_backoff{20000};
};

struct SeederConfig {
    Endpoint imds{Scheme::http, "169.254.169.254", 80};
    ImdsV1Policy imds_v1 = ImdsV1Policy::allow;
    std::uint32_t imds_token_ttl_seconds = 21600;  // 1..21600

    // Unset: https://kms.<region>.amazonaws.com:443.
    std::optional<Endpoint> kms;
    std::optional<std::string> region;       // unset: from IMDS
    std::optional<Credentials> credentials;  // unset: the instance role, from IMDS
    std::optional<std::string> custom_key_store_id;
    std::size_t kms_bytes = 1024;  // total wanted; rounds of at most 1024

    CreditPolicy credits = CreditPolicy::defaults();
    std::string hash = "SHA-1";  // any Botan hash name

    bool skip_metadata = false;  // no phase-1 additions (IMDS still used for role/region)
    bool skip_kms = false;       // phase 1 only

    MonoTime overall_deadline{30000};  // the whole run, from start()
    MonoTime imds_request_timeout{2000};
    MonoTime kms_request_timeout{10000};
    RetryPolicy retry;
    std::uint64_t jitter_seed = 0;  // the driver passes a random value; tests a fixed one
};

}  // namespace ec2seed
