// Entropy sinks: where the driver puts the additions the Seeder asks for.
//
//   kernel     ioctl RNDADDENTROPY on /dev/random, with the Seeder's credit
//   urandom    write(2) to /dev/urandom: mixed into the pool, credits nothing
//   dry-run    changes nothing; acknowledges every addition as applied
//   file:PATH  appends one JSON line per addition (writes entropy to disk)
//
// Calling order: begin() once before the first addition, add() for each addition,
// end() once after the last. A sink never throws; failures come back as values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ec2seed/core/entropy.h"
#include "ec2seed/core/result.h"
#include "ec2seed/core/secret.h"

namespace ec2seed::transport {

enum class SinkKind : std::uint8_t { kernel, urandom, dry_run, file };

struct SinkSpec {
    SinkKind kind = SinkKind::kernel;
    std::string path;  // file: only

    friend bool operator==(const SinkSpec&, const SinkSpec&) = default;
};

// Parses "kernel", "urandom", "dry-run" or "file:PATH" (PATH not empty).
// Errors: bad_config, with a message listing what is accepted.
Result<SinkSpec> parse_sink_spec(std::string_view text);

// "kernel", "urandom", "dry-run" or "file".
std::string_view to_string(SinkKind kind) noexcept;

// What the kernel said about its pool at one moment. A field is unset when the
// probe failed (it never fails the run).
struct KernelPoolState {
    std::optional<int> entropy_count;  // RNDGETENTCNT, in bits
    std::optional<bool> crng_ready;    // getrandom(GRND_NONBLOCK) did not say EAGAIN
};

// The kernel sink's part of the report.
// The cause a kernel report gives when the crng turned ready between ec2seed's
// additions rather than inside one of them.
inline constexpr std::string_view not_ec2seed_cause = "not ec2seed's credit";

struct KernelSinkReport {
    KernelPoolState before;
    KernelPoolState after;
    // What turned the crng ready during the run: the source whose addition did
    // ("imds/mac"), or not_ec2seed_cause; empty when it did not turn ready.
    std::string crng_ready_cause;
    bool reseeded = false;     // RNDRESEEDCRNG succeeded
    std::string reseed_error;  // why RNDRESEEDCRNG failed, when it was tried
};

class EntropySink {
  public:
    virtual ~EntropySink() = default;

    // Before the first addition (the kernel sink probes the pool here).
    virtual void begin() {}

    // Adds one addition. A failure comes back as applied=false with a reason for
    // a person; the driver hands the result to the Seeder either way.
    virtual EntropyResult add(const EntropyAddition& addition) = 0;

    // After the last addition (the kernel sink reseeds the crng and probes again).
    virtual void end() {}

    virtual SinkKind kind() const = 0;

    // Set for the kernel sink once end() has run.
    virtual std::optional<KernelSinkReport> kernel_report() const { return std::nullopt; }

    // Warnings the report repeats to its reader (the file sink's "entropy on disk").
    virtual std::vector<std::string> warnings() const { return {}; }
};

// ---- The kernel sink's system calls, injectable so that tests never touch the pool.

// Each call returns 0 or an errno value.
class RandomDeviceCalls {
  public:
    virtual ~RandomDeviceCalls() = default;

    // ioctl(RNDADDENTROPY) with a struct rand_pool_info laid out as rand_pool_info().
    virtual int add_entropy(std::span<const std::uint8_t> rand_pool_info) = 0;
    // ioctl(RNDGETENTCNT).
    virtual int entropy_count(int& bits) = 0;
    // ioctl(RNDRESEEDCRNG).
    virtual int reseed_crng() = 0;
    // getrandom(buf, 1, GRND_NONBLOCK): 0 when the crng is ready, EAGAIN when not.
    virtual int probe_crng() = 0;
};

// The real calls on an open /dev/random (opened write-only: the ioctls need no
// read access, and a reader of /dev/random is what blocks).
// Errors: bad_config naming the path and errno when /dev/random cannot be opened.
Result<std::unique_ptr<RandomDeviceCalls>> open_random_device();

// struct rand_pool_info { int entropy_count; int buf_size; __u32 buf[]; } as the
// kernel reads it for RNDADDENTROPY: credit bits, byte count, then the bytes.
// Errors: bad_config when credit_bits exceeds 8 per byte or the size overflows int.
Result<SecureBytes> rand_pool_info(std::span<const std::uint8_t> bytes, std::uint32_t credit_bits);

enum class RandomDeviceCall : std::uint8_t {
    open_random,
    add_entropy,
    entropy_count,
    reseed_crng,
    probe_crng,
    write_urandom,
};

// A message for a person about a failed call: what was called, the errno name,
// and what to do ("needs root (CAP_SYS_ADMIN)" for EPERM on the ioctls).
std::string describe_errno(RandomDeviceCall call, int error_number);

// ---- Factories. Each fails with bad_config (a message naming the device or path).

std::unique_ptr<EntropySink> make_kernel_sink(std::unique_ptr<RandomDeviceCalls> calls);
Result<std::unique_ptr<EntropySink>> make_urandom_sink();
std::unique_ptr<EntropySink> make_dry_run_sink();
// Creates PATH with mode 0600 if absent, and appends to it.
Result<std::unique_ptr<EntropySink>> make_file_sink(const std::string& path);

// The sink a spec names, with the real system calls.
Result<std::unique_ptr<EntropySink>> make_sink(const SinkSpec& spec);

}  // namespace ec2seed::transport
