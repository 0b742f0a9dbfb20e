// Credit policies: what the seeder credits for each metadata source.
#include "ec2seed/core/config.h"

#include <gtest/gtest.h>

#include "ec2seed/core/entropy.h"

namespace ec2seed {
namespace {

TEST(CreditPolicy, DefaultsCreditTheMacAlone) {
    const CreditPolicy policy = CreditPolicy::defaults();
    ASSERT_EQ(policy.bits.size(), 1U);
    EXPECT_EQ(policy.bits.at(source::mac), 24U);
    for (const char* name : {source::instance_id, source::local_ipv4, source::signature}) {
        EXPECT_EQ(policy.bits.count(name), 0U) << name;
    }
}

TEST(CreditPolicy, DefaultsNeverListKms) {
    EXPECT_EQ(CreditPolicy::defaults().bits.count(source::kms), 0U);
    EXPECT_EQ(CreditPolicy::none().bits.count(source::kms), 0U);
}

TEST(CreditPolicy, NoneCreditsNothing) {
    EXPECT_TRUE(CreditPolicy::none().bits.empty());
}

TEST(CreditPolicy, SeederConfigStartsWithTheDefaults) {
    EXPECT_EQ(SeederConfig{}.credits.bits, CreditPolicy::defaults().bits);
}

}  // namespace
}  // namespace ec2seed
