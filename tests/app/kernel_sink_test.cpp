// The kernel sink against fake system calls: the exact rand_pool_info bytes, the
// order of the ioctls, errno mapping. Only the read-only probes touch the real
// kernel.
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "ec2seed/transport/entropy_sink.h"

namespace ec2seed::transport {
namespace {

// Records every call and answers from a script.
struct FakeRandomDevice final : RandomDeviceCalls {
    struct Log {
        std::vector<std::string> calls;
        std::vector<std::vector<std::uint8_t>> added;
    };

    explicit FakeRandomDevice(Log& log) : m_log(log) {}

    int add_entropy(std::span<const std::uint8_t> info) override {
        m_log.calls.emplace_back("RNDADDENTROPY");
        m_log.added.emplace_back(info.begin(), info.end());
        return add_error;
    }
    int entropy_count(int& bits) override {
        m_log.calls.emplace_back("RNDGETENTCNT");
        bits = counts.empty() ? 0 : counts.front();
        if (!counts.empty()) {
            counts.erase(counts.begin());
        }
        return count_error;
    }
    int reseed_crng() override {
        m_log.calls.emplace_back("RNDRESEEDCRNG");
        return reseed_error;
    }
    int probe_crng() override {
        m_log.calls.emplace_back("getrandom");
        const int answer = probes.empty() ? 0 : probes.front();
        if (!probes.empty()) {
            probes.erase(probes.begin());
        }
        return answer;
    }

    int add_error = 0;
    int count_error = 0;
    int reseed_error = 0;
    std::vector<int> counts;
    std::vector<int> probes;  // errno per probe: 0 ready, EAGAIN not ready

  private:
    Log& m_log;
};

EntropyAddition addition(std::string source, std::vector<std::uint8_t> bytes,
                         std::uint32_t credit) {
    EntropyAddition added;
    added.id = 1;
    added.source = std::move(source);
    added.bytes.assign(bytes.begin(), bytes.end());
    added.credit_bits = credit;
    return added;
}

std::vector<std::uint8_t> native_int(int value) {
    std::vector<std::uint8_t> bytes(sizeof(int));
    std::memcpy(bytes.data(), &value, sizeof(int));
    return bytes;
}

TEST(RandPoolInfo, LaysOutCreditSizeThenBytes) {
    const std::vector<std::uint8_t> bytes{0xde, 0xad, 0xbe, 0xef, 0x01};

    const auto info = rand_pool_info(bytes, 24);

    ASSERT_TRUE(info.has_value());
    std::vector<std::uint8_t> expected = native_int(24);
    const auto size = native_int(5);
    expected.insert(expected.end(), size.begin(), size.end());
    expected.insert(expected.end(), bytes.begin(), bytes.end());
    EXPECT_EQ(std::vector<std::uint8_t>(info->begin(), info->end()), expected);
}

TEST(RandPoolInfo, LittleEndianOnThisMachine) {
    // x86-64: the kernel reads entropy_count and buf_size as little-endian ints.
    const std::vector<std::uint8_t> bytes(300, 0x5a);

    const auto info = rand_pool_info(bytes, 2400);

    ASSERT_TRUE(info.has_value());
    ASSERT_EQ(info->size(), 308u);
    EXPECT_EQ((std::vector<std::uint8_t>(info->begin(), info->begin() + 8)),
              (std::vector<std::uint8_t>{0x60, 0x09, 0, 0, 0x2c, 0x01, 0, 0}));
}

TEST(RandPoolInfo, RefusesMoreThanEightBitsAByte) {
    const std::vector<std::uint8_t> bytes(20, 1);

    const auto info = rand_pool_info(bytes, 161);

    ASSERT_FALSE(info.has_value());
    EXPECT_EQ(info.error().code, ErrorCode::bad_config);
    EXPECT_NE(info.error().message.find("161"), std::string::npos);
}

TEST(RandPoolInfo, EmptyAdditionWithoutCreditIsLegal) {
    const auto info = rand_pool_info({}, 0);

    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->size(), 2 * sizeof(int));
    EXPECT_FALSE(rand_pool_info({}, 1).has_value());
}

RC_GTEST_PROP(RandPoolInfo, HeaderAlwaysMatchesInput,
              (const std::vector<std::uint8_t>& bytes, std::uint32_t credit)) {
    const auto info = rand_pool_info(bytes, credit);

    RC_ASSERT(info.has_value() == (credit <= 8 * bytes.size()));
    if (info.has_value()) {
        int count = -1;
        int size = -1;
        std::memcpy(&count, info->data(), sizeof(int));
        std::memcpy(&size, info->data() + sizeof(int), sizeof(int));
        RC_ASSERT(count == static_cast<int>(credit));
        RC_ASSERT(size == static_cast<int>(bytes.size()));
        RC_ASSERT(std::equal(bytes.begin(), bytes.end(), info->begin() + 2 * sizeof(int)));
    }
}

TEST(DescribeErrno, EpermOnAddEntropyAsksForRoot) {
    const std::string message = describe_errno(RandomDeviceCall::add_entropy, EPERM);

    EXPECT_NE(message.find("RNDADDENTROPY"), std::string::npos) << message;
    EXPECT_NE(message.find("EPERM"), std::string::npos) << message;
    EXPECT_NE(message.find("root (CAP_SYS_ADMIN)"), std::string::npos) << message;
    EXPECT_NE(message.find("--sink urandom"), std::string::npos) << message;
}

TEST(DescribeErrno, EpermOnReseedAsksForRoot) {
    const std::string message = describe_errno(RandomDeviceCall::reseed_crng, EPERM);

    EXPECT_NE(message.find("RNDRESEEDCRNG"), std::string::npos) << message;
    EXPECT_NE(message.find("CAP_SYS_ADMIN"), std::string::npos) << message;
}

TEST(DescribeErrno, OtherErrorsNameTheCallAndErrno) {
    const std::string einval = describe_errno(RandomDeviceCall::add_entropy, EINVAL);
    const std::string eacces = describe_errno(RandomDeviceCall::open_random, EACCES);
    const std::string enosys = describe_errno(RandomDeviceCall::probe_crng, ENOSYS);
    const std::string eio = describe_errno(RandomDeviceCall::write_urandom, EIO);

    EXPECT_NE(einval.find("EINVAL"), std::string::npos) << einval;
    EXPECT_EQ(einval.find("CAP_SYS_ADMIN"), std::string::npos) << einval;
    EXPECT_NE(eacces.find("open /dev/random: EACCES"), std::string::npos) << eacces;
    EXPECT_NE(enosys.find("getrandom(GRND_NONBLOCK): ENOSYS"), std::string::npos) << enosys;
    EXPECT_NE(eio.find("/dev/urandom: EIO"), std::string::npos) << eio;
}

TEST(KernelSink, AddsWithTheSeedersCreditAndProbesAround) {
    FakeRandomDevice::Log log;
    auto device = std::make_unique<FakeRandomDevice>(log);
    device->counts = {5, 256};
    // Not ready at begin, nor around the MAC; ready right after the KMS bytes.
    device->probes = {EAGAIN, EAGAIN, EAGAIN, EAGAIN, 0, 0};
    auto sink = make_kernel_sink(std::move(device));

    sink->begin();
    const auto result = sink->add(addition("imds/mac", {1, 2, 3, 4}, 24));
    const auto kms =
        sink->add(addition("kms/generate-random", std::vector<std::uint8_t>(64, 7), 512));
    sink->end();

    EXPECT_TRUE(result.applied);
    EXPECT_TRUE(kms.applied);
    // Until the crng is ready, each addition is bracketed by probes, so the report can
    // say which addition made it ready. The KMS bytes made it ready, and the kernel's
    // reseed at that moment used them: no RNDRESEEDCRNG.
    EXPECT_EQ(log.calls,
              (std::vector<std::string>{"RNDGETENTCNT", "getrandom", "getrandom", "RNDADDENTROPY",
                                        "getrandom", "getrandom", "RNDADDENTROPY", "getrandom",
                                        "RNDGETENTCNT", "getrandom"}));
    ASSERT_EQ(log.added.size(), 2u);
    const auto expected = *rand_pool_info(std::vector<std::uint8_t>{1, 2, 3, 4}, 24);
    EXPECT_EQ(log.added[0], std::vector<std::uint8_t>(expected.begin(), expected.end()));
    const auto report = sink->kernel_report();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->before.entropy_count, 5);
    EXPECT_EQ(report->after.entropy_count, 256);
    EXPECT_EQ(report->before.crng_ready, false);
    EXPECT_EQ(report->after.crng_ready, true);
    EXPECT_EQ(report->crng_ready_cause, "kms/generate-random");
    EXPECT_FALSE(report->reseeded);
}

TEST(KernelSink, ReadyBetweenAdditionsIsNotClaimedAndKmsBytesReseed) {
    FakeRandomDevice::Log log;
    auto device = std::make_unique<FakeRandomDevice>(log);
    // Not ready at begin, nor around the MAC; ready before the KMS bytes arrive (the
    // kernel's jitter, started by a TLS library's blocking getrandom).
    device->probes = {EAGAIN, EAGAIN, EAGAIN, 0, 0};
    auto sink = make_kernel_sink(std::move(device));

    sink->begin();
    (void)sink->add(addition("imds/mac", {1, 2, 3}, 24));
    (void)sink->add(addition("kms/generate-random", std::vector<std::uint8_t>(32, 9), 256));
    sink->end();

    const auto report = sink->kernel_report();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->crng_ready_cause, not_ec2seed_cause);
    EXPECT_TRUE(report->reseeded);
    EXPECT_EQ(std::count(log.calls.begin(), log.calls.end(), "RNDRESEEDCRNG"), 1);
}

TEST(KernelSink, PhaseOneCreditThatReadiesTheCrngIsNamedAndKmsBytesReseed) {
    FakeRandomDevice::Log log;
    auto device = std::make_unique<FakeRandomDevice>(log);
    // Not ready at begin; ready right after the MAC's addition.
    device->probes = {EAGAIN, EAGAIN, 0, 0};
    auto sink = make_kernel_sink(std::move(device));

    sink->begin();
    (void)sink->add(addition("imds/mac", {1, 2, 3}, 24));
    (void)sink->add(addition("kms/generate-random", std::vector<std::uint8_t>(32, 9), 256));
    sink->end();

    const auto report = sink->kernel_report();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->crng_ready_cause, "imds/mac");
    EXPECT_TRUE(report->reseeded);
}

TEST(KernelSink, ReseedsAfterKmsBytesWhenTheCrngWasReady) {
    FakeRandomDevice::Log log;
    auto device = std::make_unique<FakeRandomDevice>(log);
    device->probes = {0, 0};
    auto sink = make_kernel_sink(std::move(device));

    sink->begin();
    (void)sink->add(addition("kms/generate-random", std::vector<std::uint8_t>(32, 9), 256));
    sink->end();

    ASSERT_GE(log.calls.size(), 4u);
    EXPECT_EQ(log.calls[3], "RNDRESEEDCRNG");
    EXPECT_TRUE(sink->kernel_report()->reseeded);
}

TEST(KernelSink, NoReseedWithoutKmsBytes) {
    FakeRandomDevice::Log log;
    auto device = std::make_unique<FakeRandomDevice>(log);
    device->probes = {0, 0};
    auto sink = make_kernel_sink(std::move(device));

    sink->begin();
    (void)sink->add(addition("imds/mac", {1, 2, 3}, 24));
    sink->end();

    EXPECT_EQ(std::count(log.calls.begin(), log.calls.end(), "RNDRESEEDCRNG"), 0);
    EXPECT_FALSE(sink->kernel_report()->reseeded);
}

TEST(KernelSink, EpermIsNotAppliedAndSaysWhy) {
    FakeRandomDevice::Log log;
    auto device = std::make_unique<FakeRandomDevice>(log);
    device->add_error = EPERM;
    device->probes = {0, 0};
    auto sink = make_kernel_sink(std::move(device));

    sink->begin();
    const auto result = sink->add(addition("kms/generate-random", {1, 2}, 16));
    sink->end();

    EXPECT_FALSE(result.applied);
    EXPECT_NE(result.reason.find("CAP_SYS_ADMIN"), std::string::npos) << result.reason;
    // Nothing from KMS reached the pool: nothing to reseed with.
    EXPECT_FALSE(sink->kernel_report()->reseeded);
    EXPECT_EQ(std::count(log.calls.begin(), log.calls.end(), "RNDRESEEDCRNG"), 0);
}

TEST(KernelSink, OverCreditNeverReachesTheIoctl) {
    FakeRandomDevice::Log log;
    auto sink = make_kernel_sink(std::make_unique<FakeRandomDevice>(log));

    sink->begin();
    const auto result = sink->add(addition("imds/mac", {1, 2}, 17));

    EXPECT_FALSE(result.applied);
    EXPECT_TRUE(log.added.empty());
}

TEST(KernelSink, FailedProbesAndReseedAreReportedNotFatal) {
    FakeRandomDevice::Log log;
    auto device = std::make_unique<FakeRandomDevice>(log);
    device->count_error = EPERM;
    device->probes = {0, ENOSYS};
    device->reseed_error = EPERM;
    auto sink = make_kernel_sink(std::move(device));

    sink->begin();
    EXPECT_FALSE(sink->kernel_report().has_value());  // not until end()
    (void)sink->add(addition("kms/generate-random", {1, 2}, 16));
    sink->end();

    const auto report = sink->kernel_report();
    ASSERT_TRUE(report.has_value());
    EXPECT_FALSE(report->before.entropy_count.has_value());
    EXPECT_EQ(report->before.crng_ready, true);
    EXPECT_FALSE(report->after.crng_ready.has_value());
    EXPECT_FALSE(report->reseeded);
    EXPECT_NE(report->reseed_error.find("RNDRESEEDCRNG"), std::string::npos);
}

TEST(RandomDevice, ReadOnlyProbesRunForReal) {
    // Only RNDGETENTCNT and getrandom(GRND_NONBLOCK): neither changes the pool.
    auto device = open_random_device();
    if (!device) {
        GTEST_SKIP() << device.error().message;
    }

    int bits = -1;
    const int count_error = (*device)->entropy_count(bits);
    const int probe_error = (*device)->probe_crng();

    EXPECT_EQ(count_error, 0);
    EXPECT_GE(bits, 0);
    EXPECT_LE(bits, 4096);
    EXPECT_TRUE(probe_error == 0 || probe_error == EAGAIN) << probe_error;
}

}  // namespace
}  // namespace ec2seed::transport
