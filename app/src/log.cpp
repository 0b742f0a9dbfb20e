// Log lines for people and for the journal.
#include "ec2seed/app/log.h"

#include <sys/stat.h>

#include <charconv>

namespace ec2seed::app {
namespace {

std::string_view level_name(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warning:
            return "warning";
        case LogLevel::error:
            return "error";
    }
    return "info";
}

// sd-daemon(3): <3> SD_ERR, <4> SD_WARNING, <6> SD_INFO, <7> SD_DEBUG.
std::string_view journal_prefix(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            return "<7>";
        case LogLevel::info:
            return "<6>";
        case LogLevel::warning:
            return "<4>";
        case LogLevel::error:
            return "<3>";
    }
    return "<6>";
}

template <typename T>
bool parse_whole(std::string_view text, T& value) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

bool journal_stream_matches(std::string_view journal_stream, dev_t dev, ino_t ino) {
    // systemd.exec(5): JOURNAL_STREAM is "<device>:<inode>", both decimal.
    const std::size_t colon = journal_stream.find(':');
    if (colon == std::string_view::npos) {
        return false;
    }

    std::uint64_t stream_dev = 0;
    std::uint64_t stream_ino = 0;
    if (!parse_whole(journal_stream.substr(0, colon), stream_dev) ||
        !parse_whole(journal_stream.substr(colon + 1), stream_ino)) {
        return false;
    }
    return stream_dev == static_cast<std::uint64_t>(dev) &&
           stream_ino == static_cast<std::uint64_t>(ino);
}

bool fd_is_journal(const std::optional<std::string>& journal_stream, int fd) {
    if (!journal_stream) {
        return false;
    }

    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        return false;
    }
    return journal_stream_matches(*journal_stream, info.st_dev, info.st_ino);
}

std::string format_log_line(LogLevel level, std::string_view message, bool journal) {
    std::string line;
    if (journal) {
        line = journal_prefix(level);
    } else {
        line = "ec2seed: ";
        line += level_name(level);
        line += ": ";
    }

    // One line per event, whatever the message holds.
    for (const char c : message) {
        line += (c == '\n' || c == '\r') ? ' ' : c;
    }
    line += '\n';
    return line;
}

bool Logger::enabled(LogLevel level) const {
    switch (m_verbosity) {
        case Verbosity::quiet:
            return level == LogLevel::error;
        case Verbosity::normal:
            return level != LogLevel::debug;
        case Verbosity::verbose:
            return true;
    }
    return true;
}

void Logger::log(LogLevel level, std::string_view message) {
    if (!enabled(level)) {
        return;
    }
    m_out << format_log_line(level, message, m_journal) << std::flush;
}

}  // namespace ec2seed::app
