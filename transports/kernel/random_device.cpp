// The real system calls behind the kernel sink.
#include <fcntl.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include <botan/mem_ops.h>

#include "ec2seed/transport/entropy_sink.h"

namespace ec2seed::transport {
namespace {

class RandomDevice final : public RandomDeviceCalls {
  public:
    explicit RandomDevice(int fd) : m_fd(fd) {}
    ~RandomDevice() override { ::close(m_fd); }
    RandomDevice(const RandomDevice&) = delete;
    RandomDevice& operator=(const RandomDevice&) = delete;

    int add_entropy(std::span<const std::uint8_t> rand_pool_info) override {
        return ::ioctl(m_fd, RNDADDENTROPY, rand_pool_info.data()) == 0 ? 0 : errno;
    }

    int entropy_count(int& bits) override {
        return ::ioctl(m_fd, RNDGETENTCNT, &bits) == 0 ? 0 : errno;
    }

    int reseed_crng() override { return ::ioctl(m_fd, RNDRESEEDCRNG) == 0 ? 0 : errno; }

    int probe_crng() override {
        // GRND_NONBLOCK: never waits for the pool, and initialises nothing. The byte
        // read is dropped.
        std::array<std::uint8_t, 1> byte{};
        const ssize_t got = ::getrandom(byte.data(), byte.size(), GRND_NONBLOCK);
        const int error_number = got == 1 ? 0 : errno;
        Botan::secure_scrub_memory(byte.data(), byte.size());
        return error_number;
    }

  private:
    int m_fd;
};

}  // namespace

Result<std::unique_ptr<RandomDeviceCalls>> open_random_device() {
    const int fd = ::open("/dev/random", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return Error{ErrorCode::bad_config, describe_errno(RandomDeviceCall::open_random, errno)};
    }
    return std::unique_ptr<RandomDeviceCalls>(std::make_unique<RandomDevice>(fd));
}

}  // namespace ec2seed::transport
