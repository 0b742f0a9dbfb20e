// The driver's clocks: the only place ec2seed reads the time.
#pragma once

#include <chrono>

#include "ec2seed/core/time.h"

namespace ec2seed::transport {

class MonotonicClock {
  public:
    MonotonicClock() : m_origin(std::chrono::steady_clock::now()) {}

    // Milliseconds since this clock was made.
    MonoTime now() const {
        return std::chrono::duration_cast<MonoTime>(std::chrono::steady_clock::now() - m_origin);
    }

    // Both clocks at once, for a Seeder input.
    Now both() const {
        const auto wall = std::chrono::duration_cast<WallTime>(
            std::chrono::system_clock::now().time_since_epoch());
        return Now{now(), wall};
    }

    // The steady_clock instant for a MonoTime (for poll timeouts).
    std::chrono::steady_clock::time_point at(MonoTime t) const { return m_origin + t; }

  private:
    std::chrono::steady_clock::time_point m_origin;
};

}  // namespace ec2seed::transport
