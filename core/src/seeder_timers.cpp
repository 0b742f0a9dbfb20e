// The seeder's timers and retry delays. Jitter comes from a generator seeded by
// the configuration, never from a random source, so a run replays exactly.
#include <algorithm>

#include "seeder_run.h"

namespace ec2seed::detail {

std::optional<MonoTime> TimerTable::earliest() const {
    std::optional<MonoTime> earliest;
    for (const std::optional<MonoTime>& at : m_at) {
        if (at && (!earliest || *at < *earliest)) {
            earliest = at;
        }
    }
    return earliest;
}

std::uint64_t JitterSource::next() {
    m_state += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = m_state;
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
}

MonoTime JitterSource::up_to(MonoTime bound) {
    if (bound.count() <= 0) {
        return MonoTime{0};
    }

    const auto range = static_cast<std::uint64_t>(bound.count()) + 1U;
    return MonoTime{static_cast<MonoTime::rep>(next() % range)};
}

MonoTime standard_backoff(const RetryPolicy& policy, int failures, JitterSource& jitter) {
    // AWS SDKs, standard retry mode: delay = random(0, 1) * min(base * 2^i, cap).
    // Compared before shifting, so that a large base cannot overflow.
    const int exponent = std::clamp(failures - 1, 0, 30);
    const MonoTime::rep base = policy.base_delay.count();
    const MonoTime ceiling = base > (policy.max_backoff.count() >> exponent)
                                 ? policy.max_backoff
                                 : MonoTime{base << exponent};
    return jitter.up_to(ceiling);
}

MonoTime boot_backoff(const RetryPolicy& policy, JitterSource& jitter) {
    const MonoTime half = std::max(MonoTime{1}, policy.base_delay / 2);
    return half + jitter.up_to(half);
}

}  // namespace ec2seed::detail
