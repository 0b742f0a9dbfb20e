// The unprivileged sinks: file:PATH (exact JSON lines, mode 0600), dry-run, and
// the --sink values.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "ec2seed/transport/entropy_sink.h"

#include "temp_dir.h"

namespace ec2seed::transport {
namespace {

using ec2seed::testing::TempDir;

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

EntropyAddition addition(AdditionId id, std::string source, std::vector<std::uint8_t> bytes,
                         std::uint32_t credit) {
    EntropyAddition added;
    added.id = id;
    added.source = std::move(source);
    added.bytes.assign(bytes.begin(), bytes.end());
    added.credit_bits = credit;
    return added;
}

TEST(FileSink, AppendsOneJsonObjectPerAddition) {
    const TempDir dir;
    const std::string path = dir.file("entropy.jsonl");
    auto sink = make_file_sink(path);
    ASSERT_TRUE(sink.has_value()) << sink.error().message;

    (*sink)->begin();
    const auto first = (*sink)->add(addition(1, "imds/mac", {0x00, 0xab, 0xff}, 24));
    const auto second = (*sink)->add(addition(2, "kms/generate-random", {0x10, 0x20}, 16));
    (*sink)->end();

    EXPECT_TRUE(first.applied);
    EXPECT_TRUE(second.applied);
    EXPECT_EQ(read_lines(path),
              (std::vector<std::string>{
                  R"({"source":"imds/mac","bytes_hex":"00abff","credit_bits":24})",
                  R"({"source":"kms/generate-random","bytes_hex":"1020","credit_bits":16})"}));
    EXPECT_EQ((*sink)->kind(), SinkKind::file);
    EXPECT_FALSE((*sink)->kernel_report().has_value());
}

TEST(FileSink, EachLineParsesAsTheIssueSpecifies) {
    const TempDir dir;
    const std::string path = dir.file("entropy.jsonl");
    auto sink = make_file_sink(path);
    ASSERT_TRUE(sink.has_value());

    (void)(*sink)->add(addition(7, "imds/signature", std::vector<std::uint8_t>(20, 0x5c), 0));

    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 1u);
    const auto object = boost::json::parse(lines[0]).as_object();
    EXPECT_EQ(object.size(), 3u);
    EXPECT_EQ(object.at("source").as_string(), "imds/signature");
    std::string hex;
    for (int i = 0; i < 20; ++i) {
        hex += "5c";
    }
    EXPECT_EQ(object.at("bytes_hex").as_string(), hex);
    EXPECT_EQ(object.at("credit_bits").as_int64(), 0);
}

TEST(FileSink, CreatesTheFileWithMode0600WhateverTheUmask) {
    const TempDir dir;
    const std::string path = dir.file("created.jsonl");
    const mode_t old_umask = ::umask(0);

    auto sink = make_file_sink(path);
    ::umask(old_umask);

    ASSERT_TRUE(sink.has_value());
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0600u);
}

TEST(FileSink, AppendsToAnExistingFile) {
    const TempDir dir;
    const std::string path = dir.file("existing.jsonl");
    std::ofstream(path) << "earlier line\n";

    auto sink = make_file_sink(path);
    ASSERT_TRUE(sink.has_value());
    (void)(*sink)->add(addition(1, "imds/mac", {1}, 8));

    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "earlier line");
}

TEST(FileSink, UnwritablePathIsAConfigurationError) {
    const TempDir dir;

    auto sink = make_file_sink(dir.file("no-such-dir/entropy.jsonl"));

    ASSERT_FALSE(sink.has_value());
    EXPECT_EQ(sink.error().code, ErrorCode::bad_config);
    EXPECT_NE(sink.error().message.find("no-such-dir"), std::string::npos);
}

TEST(FileSink, WarnsThatEntropyIsOnDisk) {
    const TempDir dir;
    auto sink = make_file_sink(dir.file("w.jsonl"));
    ASSERT_TRUE(sink.has_value());

    const auto warnings = (*sink)->warnings();

    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("written to disk"), std::string::npos);
}

TEST(DryRunSink, AcknowledgesAndChangesNothing) {
    auto sink = make_dry_run_sink();

    sink->begin();
    const auto result = sink->add(addition(1, "kms/generate-random", {1, 2, 3}, 24));
    sink->end();

    EXPECT_TRUE(result.applied);
    EXPECT_EQ(sink->kind(), SinkKind::dry_run);
    EXPECT_FALSE(sink->kernel_report().has_value());
    ASSERT_EQ(sink->warnings().size(), 1u);
    EXPECT_NE(sink->warnings()[0].find("nothing was added"), std::string::npos);
}

TEST(SinkSpec, ParsesEveryAcceptedValue) {
    EXPECT_EQ(*parse_sink_spec("kernel"), (SinkSpec{SinkKind::kernel, ""}));
    EXPECT_EQ(*parse_sink_spec("urandom"), (SinkSpec{SinkKind::urandom, ""}));
    EXPECT_EQ(*parse_sink_spec("dry-run"), (SinkSpec{SinkKind::dry_run, ""}));
    EXPECT_EQ(*parse_sink_spec("file:/tmp/x y"), (SinkSpec{SinkKind::file, "/tmp/x y"}));
    EXPECT_EQ(to_string(SinkKind::dry_run), "dry-run");
}

TEST(SinkSpec, RefusesOthersListingWhatIsAccepted) {
    for (const char* bad : {"", "file:", "file", "Kernel", "dryrun", "urandom ", "stdout"}) {
        const auto spec = parse_sink_spec(bad);
        ASSERT_FALSE(spec.has_value()) << bad;
        EXPECT_NE(spec.error().message.find("kernel, urandom, dry-run, file:PATH"),
                  std::string::npos);
    }
}

TEST(UrandomSink, OpensWithoutPrivilegeAndCreditsNothing) {
    // Only opened: a test writes nothing to this machine's pool.
    auto sink = make_urandom_sink();
    ASSERT_TRUE(sink.has_value()) << sink.error().message;

    EXPECT_EQ((*sink)->kind(), SinkKind::urandom);
    ASSERT_EQ((*sink)->warnings().size(), 1u);
    EXPECT_NE((*sink)->warnings()[0].find("without credit"), std::string::npos);
}

}  // namespace
}  // namespace ec2seed::transport
