// The ec2seed command: options in, a seeded pool (and a report) out.
//
// run_command() resolves the options, makes the sink and the transport, and drives
// the Seeder: commands out (requests to the transport, additions to the sink, their
// results straight back), events to the log, completions and time-outs in, until
// the Seeder finishes. The report goes to stdout; logs to stderr.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <span>
#include <string>

#include "ec2seed/app/log.h"
#include "ec2seed/app/options.h"
#include "ec2seed/app/report_output.h"
#include "ec2seed/core/seeder.h"
#include "ec2seed/core/transcript.h"
#include "ec2seed/transport/clock.h"
#include "ec2seed/transport/entropy_sink.h"
#include "ec2seed/transport/transport.h"

namespace ec2seed::app {

inline constexpr int exit_usage = 2;

// The world a run touches, replaceable by tests.
struct RunContext {
    Environment env;
    std::ostream* out = nullptr;  // the report
    std::ostream* err = nullptr;  // the log
    bool journal = false;         // err is the journal stream
    std::function<Result<std::unique_ptr<transport::Transport>>(const Options&,
                                                                const transport::MonotonicClock&)>
        make_transport;
    std::function<Result<std::unique_ptr<transport::EntropySink>>(const transport::SinkSpec&)>
        make_sink;
};

// The real world: getenv, std::cout, std::cerr (journal when JOURNAL_STREAM matches
// fd 2), the transports and sinks of transport.h and entropy_sink.h.
RunContext process_context();

// A jitter seed for retry backoff, from the clocks and the process ID.
std::uint64_t jitter_seed_from_clock();

// Drives seeder to its end over transport and sink; returns when it finished or
// the run overran its deadline by a grace period. When recorder is set, it sees
// every input the Seeder sees, with the same times.
void drive(Seeder& seeder, transport::Transport& transport, transport::EntropySink& sink,
           const transport::MonotonicClock& clock, Logger& log, MonoTime overall_deadline,
           transcript::TranscriptRecorder* recorder = nullptr);

// The whole command. Returns the exit status: 0 complete, 3 partial, 1 failed,
// 2 usage or configuration error (nothing sent).
int run_command(std::span<const std::string> args, RunContext& context);

}  // namespace ec2seed::app
