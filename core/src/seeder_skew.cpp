// Reading the service's clock from a KMS reply, to correct the wall clock used for
// SigV4 when KMS says a signature expired or is not yet current.
#include <array>
#include <cstdint>

#include "seeder_run.h"

namespace ec2seed::detail {

namespace {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's
// days_from_civil algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Reads exactly `width` decimal digits at text[at...].
std::optional<unsigned> digits(std::string_view text, std::size_t at, std::size_t width) {
    if (at + width > text.size()) {
        return std::nullopt;
    }

    unsigned value = 0;
    for (std::size_t i = at; i < at + width; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return value;
}

std::optional<WallTime> civil_time(unsigned year, unsigned month, unsigned day, unsigned hour,
                                   unsigned minute, unsigned second) {
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
        second > 60) {
        return std::nullopt;
    }

    const std::int64_t days = days_from_civil(year, month, day);
    return WallTime{days * 86400 + hour * 3600 + minute * 60 + second};
}

}  // namespace

std::optional<WallTime> parse_http_date(std::string_view text) {
    // RFC 7231 7.1.1.1: IMF-fixdate = day-name "," SP DD SP Mon SP YYYY SP hh:mm:ss SP "GMT"
    constexpr std::size_t length = 29;
    constexpr std::array<std::string_view, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    if (text.size() != length || text[3] != ',' || text[4] != ' ' || text[7] != ' ' ||
        text[11] != ' ' || text[16] != ' ' || text[19] != ':' || text[22] != ':' ||
        text.substr(25) != " GMT") {
        return std::nullopt;
    }

    unsigned month = 0;
    for (std::size_t i = 0; i < months.size(); ++i) {
        if (text.substr(8, 3) == months[i]) {
            month = static_cast<unsigned>(i + 1);
        }
    }
    const auto day = digits(text, 5, 2);
    const auto year = digits(text, 12, 4);
    const auto hour = digits(text, 17, 2);
    const auto minute = digits(text, 20, 2);
    const auto second = digits(text, 23, 2);
    if (month == 0 || !day || !year || !hour || !minute || !second) {
        return std::nullopt;
    }
    return civil_time(*year, month, *day, *hour, *minute, *second);
}

std::optional<WallTime> parse_skew_message_time(std::string_view message) {
    // KMS (as every SigV4 service): "Signature expired: <ours> is now earlier than
    // <limit> (<server> - 5 min.)" or "... not yet current: ... (<server> + 5 min.)".
    const std::size_t open = message.find('(');
    if (open == std::string_view::npos) {
        return std::nullopt;
    }

    // 20261203T160000Z
    const std::string_view stamp = message.substr(open + 1);
    if (stamp.size() < 16 || stamp[8] != 'T' || stamp[15] != 'Z') {
        return std::nullopt;
    }
    const auto year = digits(stamp, 0, 4);
    const auto month = digits(stamp, 4, 2);
    const auto day = digits(stamp, 6, 2);
    const auto hour = digits(stamp, 9, 2);
    const auto minute = digits(stamp, 11, 2);
    const auto second = digits(stamp, 13, 2);
    if (!year || !month || !day || !hour || !minute || !second) {
        return std::nullopt;
    }
    return civil_time(*year, *month, *day, *hour, *minute, *second);
}

}  // namespace ec2seed::detail
