// The kernel sink: RNDADDENTROPY with the Seeder's credit, the pool probed before
// and after, and a crng reseed when KMS bytes arrive after the crng was ready.
#include <cerrno>
#include <cstring>
#include <limits>

#include "ec2seed/transport/entropy_sink.h"

namespace ec2seed::transport {

Result<SecureBytes> rand_pool_info(std::span<const std::uint8_t> bytes, std::uint32_t credit_bits) {
    constexpr std::size_t int_max = static_cast<std::size_t>(std::numeric_limits<int>::max());

    // The kernel's rule: credit is capped by what the bytes can hold, 8 bits a byte.
    if (credit_bits > 8 * static_cast<std::uint64_t>(bytes.size())) {
        return Error{ErrorCode::bad_config, "credit of " + std::to_string(credit_bits) +
                                                " bits exceeds 8 bits a byte for " +
                                                std::to_string(bytes.size()) + " bytes"};
    }
    if (bytes.size() > int_max) {
        return Error{ErrorCode::bad_config, "addition too large for rand_pool_info"};
    }

    // Laid out as the kernel's struct: two native ints, then buf_size bytes.
    const int entropy_count = static_cast<int>(credit_bits);
    const int buf_size = static_cast<int>(bytes.size());
    SecureBytes info(2 * sizeof(int) + bytes.size());
    std::memcpy(info.data(), &entropy_count, sizeof(int));
    std::memcpy(info.data() + sizeof(int), &buf_size, sizeof(int));
    if (!bytes.empty()) {
        std::memcpy(info.data() + 2 * sizeof(int), bytes.data(), bytes.size());
    }
    return info;
}

std::string describe_errno(RandomDeviceCall call, int error_number) {
    std::string what;
    switch (call) {
        case RandomDeviceCall::open_random:
            what = "open /dev/random";
            break;
        case RandomDeviceCall::add_entropy:
            what = "RNDADDENTROPY on /dev/random";
            break;
        case RandomDeviceCall::entropy_count:
            what = "RNDGETENTCNT on /dev/random";
            break;
        case RandomDeviceCall::reseed_crng:
            what = "RNDRESEEDCRNG on /dev/random";
            break;
        case RandomDeviceCall::probe_crng:
            what = "getrandom(GRND_NONBLOCK)";
            break;
        case RandomDeviceCall::write_urandom:
            what = "write to /dev/urandom";
            break;
    }

    const char* name = strerrorname_np(error_number);
    std::string message =
        what + ": " + (name != nullptr ? name : "errno " + std::to_string(error_number));

    const bool is_ioctl =
        call == RandomDeviceCall::add_entropy || call == RandomDeviceCall::reseed_crng;
    if (error_number == EPERM && is_ioctl) {
        // random(4): RNDADDENTROPY and RNDRESEEDCRNG require CAP_SYS_ADMIN.
        return message +
               ": adding entropy to the kernel needs root (CAP_SYS_ADMIN); run "
               "ec2seed as root, or use --sink urandom to mix bytes in without credit";
    }
    if (error_number == EACCES || error_number == EPERM) {
        return message + ": permission denied (a device policy or file mode refuses access)";
    }
    if (error_number == ENOTTY || error_number == EINVAL) {
        return message +
               ": the kernel refused the request (not a random device, or an "
               "unsupported ioctl on this kernel)";
    }
    if (error_number == ENOSYS) {
        return message + ": not supported by this kernel";
    }
    return message + ": " + std::strerror(error_number);
}

namespace {

class KernelSink final : public EntropySink {
  public:
    explicit KernelSink(std::unique_ptr<RandomDeviceCalls> calls) : m_calls(std::move(calls)) {}

    void begin() override {
        m_report.before = probe();
        m_ready = m_report.before.crng_ready == true;
    }

    EntropyResult add(const EntropyAddition& addition) override {
        auto info = rand_pool_info(addition.bytes, addition.credit_bits);
        if (!info) {
            return EntropyResult{false, info.error().message};
        }

        // A crng that turned ready since the last probe did so by something other than
        // ec2seed's credit (the kernel's own jitter, started by a blocking getrandom
        // elsewhere): the report must not claim that cause for ec2seed.
        if (!m_ready && crng_ready_now()) {
            m_report.crng_ready_cause = std::string(not_ec2seed_cause);
        }
        const bool ready_before = m_ready;

        const int error_number = m_calls->add_entropy(*info);
        if (error_number != 0) {
            return EntropyResult{false,
                                 describe_errno(RandomDeviceCall::add_entropy, error_number)};
        }

        if (!m_ready && crng_ready_now()) {
            m_report.crng_ready_cause = addition.source;
        }
        if (addition.source == source::kms && ready_before) {
            m_kms_after_ready = true;
        }
        return EntropyResult{true, {}};
    }

    void end() override {
        // Since Linux 5.18 credit given after the crng is ready changes nothing at once:
        // RNDRESEEDCRNG makes the crng use the new bytes now rather than at its next
        // scheduled reseed. Bytes that made it ready were used by the kernel's own
        // reseed at that moment.
        if (m_kms_after_ready) {
            const int error_number = m_calls->reseed_crng();
            m_report.reseeded = error_number == 0;
            if (error_number != 0) {
                m_report.reseed_error = describe_errno(RandomDeviceCall::reseed_crng, error_number);
            }
        }

        m_report.after = probe();
        m_ended = true;
    }

    SinkKind kind() const override { return SinkKind::kernel; }

    std::optional<KernelSinkReport> kernel_report() const override {
        if (!m_ended) {
            return std::nullopt;
        }
        return m_report;
    }

  private:
    bool crng_ready_now() {
        m_ready = m_calls->probe_crng() == 0;
        return m_ready;
    }

    KernelPoolState probe() {
        KernelPoolState state;

        int bits = 0;
        if (m_calls->entropy_count(bits) == 0) {
            state.entropy_count = bits;
        }

        const int error_number = m_calls->probe_crng();
        if (error_number == 0) {
            state.crng_ready = true;
        } else if (error_number == EAGAIN) {
            state.crng_ready = false;
        }
        return state;
    }

    std::unique_ptr<RandomDeviceCalls> m_calls;
    KernelSinkReport m_report;
    bool m_ready = false;            // the crng was ready at the last probe
    bool m_kms_after_ready = false;  // KMS bytes were added to a ready crng
    bool m_ended = false;
};

}  // namespace

std::unique_ptr<EntropySink> make_kernel_sink(std::unique_ptr<RandomDeviceCalls> calls) {
    return std::make_unique<KernelSink>(std::move(calls));
}

}  // namespace ec2seed::transport
