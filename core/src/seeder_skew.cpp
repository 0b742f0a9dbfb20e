// Reading the service's clock from a KMS reply, to correct the wall clock used for
// SigV4 when KMS says a signature expired or is not yet current. Dates are turned
// into ISO 8601 and read by the IMDS codec's parser, the core's one calendar.
#include <array>

#include "ec2seed/core/imds.h"
#include "seeder_run.h"

namespace ec2seed::detail {

namespace {

bool all_digits(std::string_view text) {
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return !text.empty();
}

}  // namespace

std::optional<WallTime> parse_http_date(std::string_view text) {
    // RFC 7231 7.1.1.1: IMF-fixdate = day-name "," SP DD SP Mon SP YYYY SP hh:mm:ss SP "GMT"
    constexpr std::size_t length = 29;
    constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    if (text.size() != length || text[3] != ',' || text[4] != ' ' || text[7] != ' ' ||
        text[11] != ' ' || text[16] != ' ' || text.substr(25) != " GMT") {
        return std::nullopt;
    }

    std::string month;
    for (std::size_t i = 0; i < months.size(); ++i) {
        if (text.substr(8, 3) == months[i]) {
            month = (i < 9 ? "0" : "") + std::to_string(i + 1);
        }
    }
    const std::string_view day = text.substr(5, 2);
    if (month.empty() || !all_digits(day)) {
        return std::nullopt;
    }

    // "2026-12-03T16:00:00Z"; the parser checks every field's range.
    const std::string iso = std::string(text.substr(12, 4)) + "-" + month + "-" + std::string(day) +
                            "T" + std::string(text.substr(17, 8)) + "Z";
    return imds::parse_iso8601_utc(iso);
}

std::optional<WallTime> parse_amz_date(std::string_view text) {
    // SigV4's basic format: "20261203T160000Z".
    if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z' || !all_digits(text.substr(0, 8)) ||
        !all_digits(text.substr(9, 6))) {
        return std::nullopt;
    }

    const std::string iso = std::string(text.substr(0, 4)) + "-" + std::string(text.substr(4, 2)) +
                            "-" + std::string(text.substr(6, 2)) + "T" +
                            std::string(text.substr(9, 2)) + ":" + std::string(text.substr(11, 2)) +
                            ":" + std::string(text.substr(13, 2)) + "Z";
    return imds::parse_iso8601_utc(iso);
}

std::optional<WallTime> parse_skew_message_time(std::string_view message) {
    // KMS (as every SigV4 service): "Signature expired: <ours> is now earlier than
    // <limit> (<service's time> - 5 min.)", or "Signature not yet current: <ours> is
    // still later than <limit> (<service's time> + 5 min.)".
    const std::size_t open = message.find('(');
    if (open == std::string_view::npos) {
        return std::nullopt;
    }
    return parse_amz_date(message.substr(open + 1, 16));
}

}  // namespace ec2seed::detail
