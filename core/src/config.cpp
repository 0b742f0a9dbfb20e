// Credit policies. The map holds bits per metadata source (entropy.h names).
// KMS plaintext is not in it: the seeder always credits 8 bits a byte for it,
// because GenerateRandom's bytes come from the HSMs' DRBG and are full entropy.
#include "ec2seed/core/config.h"

#include "ec2seed/core/entropy.h"

namespace ec2seed {

CreditPolicy CreditPolicy::defaults() {
    CreditPolicy policy;

    // The MAC's last three octets differ between instances: 24 bits. The other
    // items are public or guessable, so they are mixed in without credit.
    policy.bits[source::mac] = 24;
    return policy;
}

CreditPolicy CreditPolicy::none() {
    return CreditPolicy{};
}

}  // namespace ec2seed
