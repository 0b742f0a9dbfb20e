// Outcome names, as reports print them.
#include "ec2seed/core/report.h"

#include <gtest/gtest.h>

namespace ec2seed {
namespace {

TEST(Outcome, EachHasItsName) {
    EXPECT_EQ(to_string(Outcome::complete), "complete");
    EXPECT_EQ(to_string(Outcome::partial), "partial");
    EXPECT_EQ(to_string(Outcome::failed), "failed");
}

TEST(Outcome, AValueOutsideTheEnumIsFailed) {
    EXPECT_EQ(to_string(static_cast<Outcome>(7)), "failed");
}

}  // namespace
}  // namespace ec2seed
