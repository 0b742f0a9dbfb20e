// IMDS request builders and response parsers. Every parser checks its bound
// before it looks at the bytes, and no message it writes holds a secret value.
#include "ec2seed/core/imds.h"

#include <algorithm>

#include "peer_input.h"

namespace ec2seed::imds {

namespace {

bool is_line_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_lower_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f');
}
bool is_hex(char c) {
    return is_lower_hex(c) || (c >= 'A' && c <= 'F');
}
bool is_lower_alpha(char c) {
    return c >= 'a' && c <= 'z';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_line_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_line_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

std::uint8_t hex_value(char c) {
    if (is_digit(c)) {
        return static_cast<std::uint8_t>(c - '0');
    }
    if (c >= 'a' && c <= 'f') {
        return static_cast<std::uint8_t>(c - 'a' + 10);
    }
    return static_cast<std::uint8_t>(c - 'A' + 10);
}

// Item values are not secret, but a peer chose them: quote a few, made safe.
std::string quoted(std::string_view text) {
    constexpr std::size_t max_quoted = 64;
    return "\"" + detail::log_safe(text, max_quoted) + "\"";
}

// Instance IDs are "i-" and 8 (older) or 17 lowercase hex digits.
bool valid_instance_id(std::string_view text) {
    if (text.size() < 2 || text.substr(0, 2) != "i-") {
        return false;
    }

    const std::string_view digits = text.substr(2);
    return (digits.size() == 8 || digits.size() == 17) &&
           std::all_of(digits.begin(), digits.end(), is_lower_hex);
}

// Region names are "<area>-<words...>-<number>": "us-east-1", "us-gov-west-1",
// "cn-northwest-1", "eusc-de-east-1" (the area has 2 to 4 letters). They end up
// in a host name, so nothing else gets through.
bool valid_region(std::string_view text) {
    constexpr std::size_t max_region = 32;
    if (text.size() > max_region) {
        return false;
    }

    std::size_t parts = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find('-', start), text.size());
        const std::string_view part = text.substr(start, end - start);
        const bool last = end == text.size();
        if (part.empty()) {
            return false;
        }
        if (parts == 0 && (part.size() < 2 || part.size() > 4 ||
                           !std::all_of(part.begin(), part.end(), is_lower_alpha))) {
            return false;
        }
        if (parts > 0 && !last && !std::all_of(part.begin(), part.end(), is_lower_alpha)) {
            return false;
        }
        if (last && !std::all_of(part.begin(), part.end(), is_digit)) {
            return false;
        }
        ++parts;
        start = end + 1;
    }
    return parts >= 3;
}

Result<std::string> checked_instance_id(std::string_view text) {
    if (!valid_instance_id(text)) {
        return Error{ErrorCode::bad_instance_id,
                     "instance-id " + quoted(text) + " is not i- and 8 or 17 lowercase hex digits"};
    }
    return std::string(text);
}

Result<std::string> checked_region(std::string_view text) {
    if (!valid_region(text)) {
        return Error{ErrorCode::bad_region, "region " + quoted(text) + " is not a region name"};
    }
    return std::string(text);
}

// IAM: role names are 1..64 of letters, digits and "+=,.@_-".
bool valid_role_name(std::string_view name) {
    constexpr std::size_t max_role_name = 64;
    const auto allowed = [](char c) {
        return is_digit(c) || is_lower_alpha(c) || (c >= 'A' && c <= 'Z') ||
               std::string_view("+=,.@_-").find(c) != std::string_view::npos;
    };
    // The name becomes a path segment: "." and ".." would walk the path.
    const bool only_dots = name.find_first_not_of('.') == std::string_view::npos;
    return !name.empty() && name.size() <= max_role_name && !only_dots &&
           std::all_of(name.begin(), name.end(), allowed);
}

// IAM: access key IDs are 16..128 word characters.
bool plausible_access_key_id(std::string_view id) {
    const auto word = [](char c) {
        return is_digit(c) || is_lower_alpha(c) || (c >= 'A' && c <= 'Z') || c == '_';
    };
    return id.size() >= 16 && id.size() <= 128 && std::all_of(id.begin(), id.end(), word);
}

// Days from 1970-01-01 to the given proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
    // Count years from March, so that the leap day is the last day of the year.
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const auto year_of_era = static_cast<unsigned>(year - era * 400);
    const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

unsigned days_in_month(unsigned year, unsigned month) {
    constexpr std::array<unsigned, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

// Parses text[offset, offset + width) as decimal digits.
std::optional<unsigned> digits_at(std::string_view text, std::size_t offset, std::size_t width) {
    unsigned value = 0;
    for (std::size_t i = offset; i < offset + width; ++i) {
        if (!is_digit(text[i])) {
            return std::nullopt;
        }
        value = value * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return value;
}

}  // namespace

HttpRequest token_request(const Endpoint& endpoint, std::uint32_t ttl_seconds) {
    // IMDSv2: the TTL is 1..21600 seconds; a value outside is clamped rather than
    // sent to be refused.
    const std::uint32_t ttl = std::clamp(ttl_seconds, min_token_ttl, max_token_ttl);

    HttpRequest request;
    request.endpoint = endpoint;
    request.method = "PUT";
    request.target = std::string(token_path);
    request.headers.push_back({"X-aws-ec2-metadata-token-ttl-seconds", std::to_string(ttl), false});
    request.max_response_bytes = max_token_bytes;
    return request;
}

HttpRequest get_request(const Endpoint& endpoint, std::string_view path, const Secret& token) {
    HttpRequest request;
    request.endpoint = endpoint;
    request.method = "GET";
    request.target = std::string(path);
    if (!token.empty()) {
        // TODO(a wiped value type in HttpHeader): this copy of the token is a plain
        // std::string, freed without wiping; only the sensitive flag protects it.
        request.headers.push_back({"X-aws-ec2-metadata-token", std::string(token.reveal()), true});
    }

    // Let the transport stop at the parser's bound for this item.
    if (path == signature_path) {
        request.max_response_bytes = max_signature_bytes;
    } else if (path == document_path) {
        request.max_response_bytes = max_document_bytes;
    } else if (path.size() > roles_path.size() && path.substr(0, roles_path.size()) == roles_path) {
        request.max_response_bytes = max_credentials_bytes;
    } else {
        request.max_response_bytes = max_item_bytes;
    }
    return request;
}

Result<Secret> parse_token(std::string_view body) {
    if (body.size() > max_token_bytes) {
        return detail::too_large("IMDS token", body.size(), max_token_bytes);
    }

    const std::string_view token = trim(body);
    if (token.empty()) {
        return Error{ErrorCode::bad_token, "IMDS token is empty"};
    }

    // The token goes into a header value: printable ASCII only, no space.
    const std::size_t leading_space = static_cast<std::size_t>(token.data() - body.data());
    for (std::size_t i = 0; i < token.size(); ++i) {
        if (token[i] <= 0x20 || token[i] >= 0x7f) {
            return Error{ErrorCode::bad_token,
                         "IMDS token has a byte that is not printable ASCII at offset " +
                             std::to_string(leading_space + i)};
        }
    }
    return Secret(token);
}

Result<std::string> parse_instance_id(std::string_view body) {
    if (body.size() > max_item_bytes) {
        return detail::too_large("instance-id", body.size(), max_item_bytes);
    }
    return checked_instance_id(trim(body));
}

Result<std::string> parse_local_ipv4(std::string_view body) {
    if (body.size() > max_item_bytes) {
        return detail::too_large("local-ipv4", body.size(), max_item_bytes);
    }

    const std::string_view text = trim(body);
    const Error bad{ErrorCode::bad_ipv4, "local-ipv4 " + quoted(text) + " is not a dotted quad"};
    std::size_t start = 0;
    for (int octet = 0; octet < 4; ++octet) {
        const std::size_t end = octet < 3 ? text.find('.', start) : text.size();
        if (end == std::string_view::npos || end == start || end - start > 3) {
            return bad;
        }

        const std::string_view digits = text.substr(start, end - start);
        const std::optional<unsigned> value = digits_at(digits, 0, digits.size());
        // Octets are 0..255 without leading zeros (a leading zero reads as octal to
        // some resolvers).
        if (!value || *value > 255 || (digits.size() > 1 && digits[0] == '0')) {
            return bad;
        }
        start = end + 1;
    }
    return std::string(text);
}

Result<MacAddress> parse_mac(std::string_view body) {
    if (body.size() > max_item_bytes) {
        return detail::too_large("mac", body.size(), max_item_bytes);
    }

    const std::string_view text = trim(body);
    // Six two-digit hex octets and five ':' between them: 17 characters.
    constexpr std::size_t mac_text_size = 17;
    if (text.size() != mac_text_size) {
        return Error{ErrorCode::bad_mac, "mac " + quoted(text) + " is not 17 characters"};
    }

    MacAddress mac;
    for (std::size_t i = 0; i < mac.octets.size(); ++i) {
        const std::size_t at = i * 3;
        if (!is_hex(text[at]) || !is_hex(text[at + 1]) || (i < 5 && text[at + 2] != ':')) {
            return Error{ErrorCode::bad_mac, "mac " + quoted(text) + " has a bad octet at offset " +
                                                 std::to_string(at)};
        }
        mac.octets[i] =
            static_cast<std::uint8_t>(hex_value(text[at]) * 16 + hex_value(text[at + 1]));
    }
    mac.text = std::string(text);
    return mac;
}

Result<std::string> parse_region(std::string_view body) {
    if (body.size() > max_item_bytes) {
        return detail::too_large("placement/region", body.size(), max_item_bytes);
    }
    return checked_region(trim(body));
}

Result<IdentityDocument> parse_identity_document(std::string_view body) {
    constexpr std::string_view what = "identity document";
    if (body.size() > max_document_bytes) {
        return detail::too_large(what, body.size(), max_document_bytes);
    }

    Result<boost::json::object> object = detail::parse_json_object(body, what);
    if (!object) {
        return std::move(object).error();
    }

    const Result<std::string_view> region = detail::string_field(*object, "region", what);
    if (!region) {
        return region.error();
    }
    const Result<std::string_view> instance_id = detail::string_field(*object, "instanceId", what);
    if (!instance_id) {
        return instance_id.error();
    }

    IdentityDocument document;
    Result<std::string> checked_region_name = checked_region(*region);
    if (!checked_region_name) {
        return std::move(checked_region_name).error();
    }
    Result<std::string> checked_id = checked_instance_id(*instance_id);
    if (!checked_id) {
        return std::move(checked_id).error();
    }
    document.region = std::move(*checked_region_name);
    document.instance_id = std::move(*checked_id);
    return document;
}

Result<std::string> parse_role_listing(std::string_view body) {
    if (body.size() > max_item_bytes) {
        return detail::too_large("role listing", body.size(), max_item_bytes);
    }

    // One name a line; blank lines and surrounding space are not names. Only the
    // first name is used, so only it is checked.
    std::string_view rest = body;
    while (!rest.empty()) {
        const std::size_t end = std::min(rest.find('\n'), rest.size());
        const std::string_view name = trim(rest.substr(0, end));
        rest.remove_prefix(std::min(end + 1, rest.size()));
        if (name.empty()) {
            continue;
        }

        if (!valid_role_name(name)) {
            return Error{ErrorCode::bad_field,
                         "role name " + quoted(name) + " is not a valid IAM role name"};
        }
        return std::string(name);
    }
    return Error{ErrorCode::missing_field, "role listing names no role"};
}

Result<RoleCredentials> parse_role_credentials(std::string_view body) {
    constexpr std::string_view what = "role credentials";
    if (body.size() > max_credentials_bytes) {
        return detail::too_large(what, body.size(), max_credentials_bytes);
    }

    // The parse result holds the secret key and token in memory that is wiped
    // when the object goes (peer_input.h); the only other copies are the Secrets.
    Result<boost::json::object> object = detail::parse_json_object(body, what);
    if (!object) {
        return std::move(object).error();
    }

    // IMDS: Code is "Success" when the credentials are usable.
    const Result<std::string_view> code = detail::string_field(*object, "Code", what);
    if (!code) {
        return code.error();
    }
    if (*code != "Success") {
        return Error{ErrorCode::credentials_not_success,
                     "role credentials Code is " + quoted(*code) + ", not \"Success\""};
    }

    const Result<std::string_view> access_key_id =
        detail::string_field(*object, "AccessKeyId", what);
    if (!access_key_id) {
        return access_key_id.error();
    }
    const Result<std::string_view> secret_access_key =
        detail::string_field(*object, "SecretAccessKey", what);
    if (!secret_access_key) {
        return secret_access_key.error();
    }
    const Result<std::string_view> token = detail::string_field(*object, "Token", what);
    if (!token) {
        return token.error();
    }
    const Result<std::string_view> expiration = detail::string_field(*object, "Expiration", what);
    if (!expiration) {
        return expiration.error();
    }

    if (!plausible_access_key_id(*access_key_id)) {
        // Not secret, but also not ours to print in full.
        return Error{ErrorCode::bad_field, "role credentials AccessKeyId of " +
                                               std::to_string(access_key_id->size()) +
                                               " characters is not 16..128 word characters"};
    }
    const std::optional<WallTime> expires = parse_iso8601_utc(*expiration);
    if (!expires) {
        return Error{ErrorCode::bad_field,
                     "role credentials Expiration " + quoted(*expiration) + " is not ISO 8601 UTC"};
    }

    RoleCredentials credentials;
    credentials.credentials.access_key_id = std::string(*access_key_id);
    credentials.credentials.secret_access_key = Secret(*secret_access_key);
    credentials.credentials.session_token = Secret(*token);
    credentials.expiration = *expires;
    return credentials;
}

std::optional<WallTime> parse_iso8601_utc(std::string_view text) {
    // "YYYY-MM-DDTHH:MM:SS", optional fraction of a second, then "Z".
    constexpr std::size_t base_size = 19;
    if (text.size() < base_size + 1 || text.back() != 'Z' || text[4] != '-' || text[7] != '-' ||
        text[10] != 'T' || text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }

    const std::string_view fraction = text.substr(base_size, text.size() - base_size - 1);
    if (!fraction.empty() && (fraction.size() < 2 || fraction[0] != '.' ||
                              !std::all_of(fraction.begin() + 1, fraction.end(), is_digit))) {
        return std::nullopt;
    }

    const auto year = digits_at(text, 0, 4);
    const auto month = digits_at(text, 5, 2);
    const auto day = digits_at(text, 8, 2);
    const auto hour = digits_at(text, 11, 2);
    const auto minute = digits_at(text, 14, 2);
    const auto second = digits_at(text, 17, 2);
    if (!year || !month || !day || !hour || !minute || !second) {
        return std::nullopt;
    }
    // RFC 3339 5.6: a leap second (60) is allowed; it counts as the next second.
    if (*month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month) ||
        *hour > 23 || *minute > 59 || *second > 60) {
        return std::nullopt;
    }

    const std::int64_t days = days_from_civil(*year, *month, *day);
    return WallTime(days * 86400 + *hour * 3600 + *minute * 60 + *second);
}

}  // namespace ec2seed::imds
