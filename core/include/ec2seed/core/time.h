// Time as the core sees it: values handed in by the driver. The core never reads
// a clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace ec2seed {

// Monotonic time in milliseconds since an origin the driver chooses (its start).
// Deadlines and backoff are expressed in it.
using MonoTime = std::chrono::milliseconds;

// Wall-clock time, seconds since the Unix epoch (UTC). Used only for SigV4
// (X-Amz-Date and the credential scope) and to judge credential expiry.
using WallTime = std::chrono::seconds;

// Both clocks, read once by the driver for each input it hands in.
struct Now {
    MonoTime mono{0};
    WallTime wall{0};
};

}  // namespace ec2seed
