// Log lines: plain, journal prefixes, levels per verbosity, JOURNAL_STREAM matching.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include <gtest/gtest.h>

#include "ec2seed/app/log.h"

namespace ec2seed::app {
namespace {

TEST(LogLine, PlainFormat) {
    EXPECT_EQ(format_log_line(LogLevel::error, "no credentials", false),
              "ec2seed: error: no credentials\n");
    EXPECT_EQ(format_log_line(LogLevel::warning, "w", false), "ec2seed: warning: w\n");
    EXPECT_EQ(format_log_line(LogLevel::info, "i", false), "ec2seed: info: i\n");
    EXPECT_EQ(format_log_line(LogLevel::debug, "d", false), "ec2seed: debug: d\n");
}

TEST(LogLine, JournalPriorityPrefixes) {
    EXPECT_EQ(format_log_line(LogLevel::error, "e", true), "<3>e\n");
    EXPECT_EQ(format_log_line(LogLevel::warning, "w", true), "<4>w\n");
    EXPECT_EQ(format_log_line(LogLevel::info, "i", true), "<6>i\n");
    EXPECT_EQ(format_log_line(LogLevel::debug, "d", true), "<7>d\n");
}

TEST(LogLine, OneLinePerEvent) {
    EXPECT_EQ(format_log_line(LogLevel::info, "a\nb\r\nc", false), "ec2seed: info: a b  c\n");
    EXPECT_EQ(format_log_line(LogLevel::info, "a\n<3>forged", true), "<6>a <3>forged\n");
}

TEST(Logger, LevelsPerVerbosity) {
    const auto emitted = [](Verbosity verbosity) {
        std::ostringstream out;
        Logger log(out, verbosity, false);
        log.log(LogLevel::debug, "d");
        log.log(LogLevel::info, "i");
        log.log(LogLevel::warning, "w");
        log.log(LogLevel::error, "e");
        return out.str();
    };

    EXPECT_EQ(emitted(Verbosity::quiet), "ec2seed: error: e\n");
    EXPECT_EQ(emitted(Verbosity::normal),
              "ec2seed: info: i\nec2seed: warning: w\nec2seed: error: e\n");
    EXPECT_EQ(emitted(Verbosity::verbose),
              "ec2seed: debug: d\nec2seed: info: i\nec2seed: warning: w\nec2seed: error: e\n");
}

TEST(JournalStream, MatchesDeviceAndInode) {
    EXPECT_TRUE(journal_stream_matches("8:12345", 8, 12345));
    EXPECT_FALSE(journal_stream_matches("8:12345", 8, 12346));
    EXPECT_FALSE(journal_stream_matches("9:12345", 8, 12345));
    for (const char* bad : {"", "8", "8:", ":12345", "8:12345:1", "x:1", "8:1x", "-8:1"}) {
        EXPECT_FALSE(journal_stream_matches(bad, 8, 1)) << bad;
    }
}

TEST(JournalStream, ComparesAgainstTheRealDescriptor) {
    std::FILE* file = std::tmpfile();
    ASSERT_NE(file, nullptr);
    const int fd = ::fileno(file);
    struct stat info {};
    ASSERT_EQ(::fstat(fd, &info), 0);
    const std::string matching = std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
    const std::string other = std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino + 1);

    EXPECT_TRUE(fd_is_journal(matching, fd));
    EXPECT_FALSE(fd_is_journal(other, fd));
    EXPECT_FALSE(fd_is_journal(std::nullopt, fd));
    std::fclose(file);
    EXPECT_FALSE(fd_is_journal(matching, -1));
}

}  // namespace
}  // namespace ec2seed::app
