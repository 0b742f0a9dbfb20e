// Instance Metadata Service messages (EC2 User Guide, "Use the Instance Metadata
// Service to access instance metadata"): request builders and response parsers.
// Every parser bounds its input and names what was wrong.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ec2seed/core/config.h"
#include "ec2seed/core/http.h"
#include "ec2seed/core/result.h"
#include "ec2seed/core/secret.h"

namespace ec2seed::imds {

// Bounds on what IMDS may send for each item; more is an error (input_too_large).
inline constexpr std::size_t max_token_bytes = 1024;
inline constexpr std::size_t max_item_bytes = 1024;  // instance-id, ipv4, mac, region, role
inline constexpr std::size_t max_signature_bytes = 8 * 1024;
inline constexpr std::size_t max_document_bytes = 16 * 1024;
inline constexpr std::size_t max_credentials_bytes = 16 * 1024;

// IMDSv2 token TTL bounds (X-aws-ec2-metadata-token-ttl-seconds).
inline constexpr std::uint32_t min_token_ttl = 1;
inline constexpr std::uint32_t max_token_ttl = 21600;

// Paths under the endpoint.
inline constexpr std::string_view token_path = "/latest/api/token";
inline constexpr std::string_view instance_id_path = "/latest/meta-data/instance-id";
inline constexpr std::string_view local_ipv4_path = "/latest/meta-data/local-ipv4";
inline constexpr std::string_view mac_path = "/latest/meta-data/mac";
inline constexpr std::string_view region_path = "/latest/meta-data/placement/region";
inline constexpr std::string_view signature_path = "/latest/dynamic/instance-identity/signature";
inline constexpr std::string_view document_path = "/latest/dynamic/instance-identity/document";
inline constexpr std::string_view roles_path = "/latest/meta-data/iam/security-credentials/";

// PUT /latest/api/token with the TTL header. id, label and deadline are left for
// the caller. A ttl outside [min_token_ttl, max_token_ttl] is clamped into it.
HttpRequest token_request(const Endpoint& endpoint, std::uint32_t ttl_seconds);

// GET path, with X-aws-ec2-metadata-token when token is non-empty (IMDSv1 when empty),
// and max_response_bytes set to the bound of the parser for that path.
HttpRequest get_request(const Endpoint& endpoint, std::string_view path, const Secret& token);

// The token: printable ASCII, no white space inside, 1..max_token_bytes.
// Errors: input_too_large, bad_token.
Result<Secret> parse_token(std::string_view body);

// instance-id: "i-" and 8 or 17 lowercase hex digits (surrounding white space
// trimmed). Returns the trimmed value. Errors: input_too_large, bad_instance_id.
Result<std::string> parse_instance_id(std::string_view body);

// local-ipv4: dotted quad, each octet 0..255 without leading zeros. Returns the
// trimmed value. Errors: input_too_large, bad_ipv4.
Result<std::string> parse_local_ipv4(std::string_view body);

struct MacAddress {
    std::array<std::uint8_t, 6> octets{};
    std::string text;  // as served, trimmed
};

// mac: six two-digit hex octets separated by ':'. Errors: input_too_large, bad_mac.
Result<MacAddress> parse_mac(std::string_view body);

// placement/region, e.g. "us-east-1". Errors: input_too_large, bad_region.
Result<std::string> parse_region(std::string_view body);

struct IdentityDocument {
    std::string region;
    std::string instance_id;
};

// The instance identity document (JSON). Errors: input_too_large, bad_json,
// missing_field (region or instanceId), bad_region, bad_instance_id.
Result<IdentityDocument> parse_identity_document(std::string_view body);

// iam/security-credentials/: one role name a line; returns the first.
// Errors: input_too_large, missing_field (empty listing), bad_field (a name with
// characters IAM does not allow in role names).
Result<std::string> parse_role_listing(std::string_view body);

struct RoleCredentials {
    Credentials credentials;
    WallTime expiration{0};  // from "Expiration", ISO 8601 UTC
};

// The role's credentials JSON. "Code" must be "Success"; AccessKeyId,
// SecretAccessKey, Token and Expiration are required.
// Errors: input_too_large, bad_json, credentials_not_success, missing_field,
// bad_field (Expiration not ISO 8601 UTC, AccessKeyId not plausible).
Result<RoleCredentials> parse_role_credentials(std::string_view body);

// ISO 8601 UTC "2026-12-03T15:54:00Z" to seconds since the epoch.
std::optional<WallTime> parse_iso8601_utc(std::string_view text);

}  // namespace ec2seed::imds
