// The seeder's transition rules and its fetch table, as data: which phase may
// follow which, and what each kind of request is called and may receive.
#include "seeder_run.h"

#include "ec2seed/core/entropy.h"
#include "ec2seed/core/imds.h"
#include "ec2seed/core/kms.h"

namespace ec2seed::detail {

namespace {

struct PhaseRule {
    Phase from;
    Phase to;
    std::string_view when;
};

// Every allowed step of a run. SeedingRun::enter() refuses any other.
constexpr PhaseRule phase_rules[] = {
    {Phase::not_started, Phase::imds_token, "IMDS is needed: metadata items, region or role"},
    {Phase::not_started, Phase::kms, "nothing is needed from IMDS"},
    {Phase::not_started, Phase::finished, "the configuration is invalid"},
    {Phase::imds_token, Phase::imds_metadata, "a token arrived, or IMDSv1 is allowed"},
    {Phase::imds_token, Phase::kms, "IMDS is unusable, but region and credentials were given"},
    {Phase::imds_token, Phase::finished, "IMDS is unusable and phase 2 cannot run; deadline"},
    {Phase::imds_metadata, Phase::kms, "phase 1 acknowledged; region and credentials known"},
    {Phase::imds_metadata, Phase::finished, "phase 2 not wanted or cannot run; deadline"},
    {Phase::kms, Phase::finished, "the bytes wanted were added, KMS failed, or deadline"},
};

// Indexed by Fetch. Bounds come from the codecs: a transport stops reading there.
constexpr std::array<FetchInfo, fetch_count> fetch_table = {{
    {"imds/token", "", imds::max_token_bytes},
    {"imds/instance-id", source::instance_id, imds::max_item_bytes},
    {"imds/local-ipv4", source::local_ipv4, imds::max_item_bytes},
    {"imds/mac", source::mac, imds::max_item_bytes},
    {"imds/signature", source::signature, imds::max_signature_bytes},
    {"imds/region", "", imds::max_item_bytes},
    {"imds/document", "", imds::max_document_bytes},
    {"imds/role", "", imds::max_item_bytes},
    {"imds/credentials", "", imds::max_credentials_bytes},
    {"kms/generate-random", source::kms, kms::max_reply_bytes},
}};

}  // namespace

std::string_view to_string(Phase phase) noexcept {
    switch (phase) {
        case Phase::not_started:
            return "not_started";
        case Phase::imds_token:
            return "imds_token";
        case Phase::imds_metadata:
            return "imds_metadata";
        case Phase::kms:
            return "kms";
        case Phase::finished:
            return "finished";
    }
    return "unknown";
}

bool transition_allowed(Phase from, Phase to) noexcept {
    for (const PhaseRule& rule : phase_rules) {
        if (rule.from == from && rule.to == to) {
            return true;
        }
    }
    return false;
}

const FetchInfo& info(Fetch fetch) noexcept {
    return fetch_table[static_cast<std::size_t>(fetch)];
}

bool settled(SlotState state) noexcept {
    return state == SlotState::done || state == SlotState::missing || state == SlotState::failed;
}

}  // namespace ec2seed::detail
