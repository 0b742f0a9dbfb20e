// Entropy additions: what the core asks the kernel adapter (a "sink") to add to
// the random pool, and what the sink says happened.
#pragma once

#include <cstdint>
#include <string>

#include "ec2seed/core/secret.h"

namespace ec2seed {

// Source names, as they appear in reports, logs and the file sink.
namespace source {
inline constexpr const char* instance_id = "imds/instance-id";
inline constexpr const char* local_ipv4 = "imds/local-ipv4";
inline constexpr const char* mac = "imds/mac";
inline constexpr const char* signature = "imds/signature";
inline constexpr const char* kms = "kms/generate-random";
}  // namespace source

using AdditionId = std::uint64_t;

struct EntropyAddition {
    AdditionId id = 0;
    std::string source;  // one of the names above
    SecureBytes bytes;   // whitened metadata, or KMS plaintext: never logged
    // Bits of entropy the sink may credit. Never more than 8 per byte.
    std::uint32_t credit_bits = 0;
};

struct EntropyResult {
    bool applied = false;
    // Why not, when !applied ("RNDADDENTROPY: EPERM, needs CAP_SYS_ADMIN").
    std::string reason;
};

}  // namespace ec2seed
