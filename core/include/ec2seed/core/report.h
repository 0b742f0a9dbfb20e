// The final report of a run: what was added, what failed and why. Holds no
// secret value and no entropy byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ec2seed/core/error.h"

namespace ec2seed {

enum class Outcome : std::uint8_t {
    complete,  // every requested phase done
    partial,   // some entropy added, something failed
    failed,    // nothing added
};

std::string_view to_string(Outcome outcome) noexcept;

struct SourceReport {
    std::string source;  // "imds/mac", "kms/generate-random", ...
    std::size_t bytes = 0;
    std::uint32_t credit_bits = 0;
    bool applied = false;
};

struct ErrorReport {
    std::string request;  // the request label it came from, or "" for run-level errors
    Error error;
};

struct KmsReport {
    int calls = 0;                         // GenerateRandom requests sent, retries included
    std::size_t bytes = 0;                 // bytes added from accepted replies
    std::vector<std::string> request_ids;  // x-amzn-RequestId of each reply
};

struct Report {
    Outcome outcome = Outcome::failed;
    std::vector<SourceReport> sources;
    KmsReport kms;
    int requests = 0;      // HTTP requests emitted
    int retries = 0;       // of which retries
    bool imds_v1 = false;  // IMDSv1 fallback was used
    std::string region;    // the region used for KMS, if known
    std::vector<ErrorReport> errors;
};

}  // namespace ec2seed
