// The command's log: stderr, one line per event.
//
// Line format: "ec2seed: LEVEL: MESSAGE" on a terminal or a file; "<N>MESSAGE" when
// stderr is the journal (sd-daemon(3) priority prefixes: 3 error, 4 warning,
// 6 info, 7 debug), because journald adds the name and time itself.
// Messages never hold a secret value: callers pass names, statuses and lengths.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "ec2seed/app/options.h"

namespace ec2seed::app {

enum class LogLevel : std::uint8_t { debug, info, warning, error };

// Whether JOURNAL_STREAM ("DEV:INODE", set by systemd for services whose stderr is
// the journal) names the file whose device and inode are dev and ino.
bool journal_stream_matches(std::string_view journal_stream, dev_t dev, ino_t ino);

// Whether fd is the journal stream JOURNAL_STREAM names.
bool fd_is_journal(const std::optional<std::string>& journal_stream, int fd);

// One log line, newline included; line breaks inside message become spaces.
std::string format_log_line(LogLevel level, std::string_view message, bool journal);

class Logger {
  public:
    Logger(std::ostream& out, Verbosity verbosity, bool journal)
        : m_out(out), m_verbosity(verbosity), m_journal(journal) {}

    // -q: errors only; default: info and above; -v: everything.
    bool enabled(LogLevel level) const;

    void log(LogLevel level, std::string_view message);

  private:
    std::ostream& m_out;
    Verbosity m_verbosity;
    bool m_journal;
};

}  // namespace ec2seed::app
