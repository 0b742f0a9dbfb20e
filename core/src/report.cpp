// Names of a run's outcomes, as reports print them.
#include "ec2seed/core/report.h"

namespace ec2seed {

std::string_view to_string(Outcome outcome) noexcept {
    switch (outcome) {
        case Outcome::complete:
            return "complete";
        case Outcome::partial:
            return "partial";
        case Outcome::failed:
            return "failed";
    }
    return "failed";
}

}  // namespace ec2seed
