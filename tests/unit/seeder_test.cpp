// The seeding state machine, driven through its public API on a virtual clock:
// named steps that check the exact outputs, the rules of issue 3 one by one, and
// rapidcheck properties over random worlds.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "ec2seed/core/imds.h"
#include "ec2seed/core/whiten.h"
#include "seeder_world.h"

namespace ec2seed {
namespace {

using testing::at_ms;
using testing::Driver;
using testing::HealthyWorld;
using testing::response;

SeederConfig kms_only_config() {
    SeederConfig config;
    config.skip_metadata = true;
    config.region = "us-east-1";
    config.credentials = Credentials{"AKIAIOSFODNN7EXAMPLE", Secret(testing::secret_key), Secret()};
    return config;
}

SeederConfig phase1_only_config() {
    SeederConfig config;
    config.skip_kms = true;
    return config;
}

std::optional<std::string> header(const HttpRequest& request, std::string_view name) {
    const auto value = find_header(request.headers, name);
    return value ? std::optional<std::string>(std::string(*value)) : std::nullopt;
}

bool header_sensitive(const HttpRequest& request, std::string_view name) {
    for (const HttpHeader& h : request.headers) {
        if (h.name == name) {
            return h.sensitive;
        }
    }
    return false;
}

SecureBytes sha1_of(std::string_view item) {
    const std::vector<std::uint8_t> bytes(item.begin(), item.end());
    return whiten("SHA-1", bytes).value();
}

std::vector<std::string> labels(const std::vector<HttpRequest>& requests) {
    std::vector<std::string> names;
    for (const HttpRequest& request : requests) {
        names.push_back(request.label);
    }
    return names;
}

bool has_error(const Report& report, ErrorCode code) {
    for (const ErrorReport& error : report.errors) {
        if (error.error.code == code) {
            return true;
        }
    }
    return false;
}

// ---- Named steps: the happy path, output by output ----

TEST(SeederSteps, HappyPathEmitsTheExactSequence) {
    HealthyWorld world;
    Driver driver{SeederConfig{}};

    // Step 1: start emits the token request alone.
    driver.start(0);
    auto out = driver.take_new_requests();
    ASSERT_EQ(out.size(), 1U);
    EXPECT_EQ(out[0].label, "imds/token");
    EXPECT_EQ(out[0].method, "PUT");
    EXPECT_EQ(out[0].target, "/latest/api/token");
    EXPECT_EQ(header(out[0], "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
    EXPECT_EQ(out[0].deadline, MonoTime{2000});
    EXPECT_EQ(driver.seeder.next_deadline(), MonoTime{30000});

    // Step 2: the token releases every independent GET at once, each with the token.
    driver.now_ms = 3;
    driver.respond(out[0].id, world.answer(out[0]));
    out = driver.take_new_requests();
    EXPECT_EQ(labels(out),
              (std::vector<std::string>{"imds/instance-id", "imds/local-ipv4", "imds/mac",
                                        "imds/signature", "imds/region", "imds/role"}));
    for (const HttpRequest& request : out) {
        EXPECT_EQ(request.method, "GET");
        EXPECT_EQ(header(request, "X-aws-ec2-metadata-token"), std::string(testing::token_value));
        EXPECT_TRUE(header_sensitive(request, "X-aws-ec2-metadata-token"));
        EXPECT_EQ(request.deadline, MonoTime{2003});
    }

    // Step 3: each item becomes one addition of its SHA-1, credited per the defaults.
    for (const HttpRequest& request : out) {
        driver.respond(request.id, world.answer(request));
    }
    ASSERT_EQ(driver.additions.size(), 4U);
    std::map<std::string, EntropyAddition> by_source;
    for (const EntropyAddition& addition : driver.additions) {
        by_source[addition.source] = addition;
    }
    EXPECT_EQ(by_source["imds/instance-id"].bytes, sha1_of("i-0a1b2c3d4e5f60718"));
    EXPECT_EQ(by_source["imds/mac"].bytes, sha1_of("0e:3f:9a:12:7c:41"));
    EXPECT_EQ(by_source["imds/mac"].credit_bits, 24U);
    EXPECT_EQ(by_source["imds/instance-id"].credit_bits, 0U);
    const auto decoded = base64_decode_wrapped(testing::signature_text, 8192).value();
    EXPECT_EQ(by_source["imds/signature"].bytes, whiten("SHA-1", decoded).value());

    // Step 4: the role listing asks for the role's credentials.
    out = driver.take_new_requests();
    ASSERT_EQ(out.size(), 1U);
    EXPECT_EQ(out[0].target, "/latest/meta-data/iam/security-credentials/ec2seed-instance-role");
    driver.respond(out[0].id, world.answer(out[0]));

    // Step 5: no KMS request while a phase-1 addition is unacknowledged.
    for (int i = 0; i < 3; ++i) {
        driver.ack(driver.additions.front().id);
        EXPECT_TRUE(driver.take_new_requests().empty());
    }
    driver.ack(driver.additions.front().id);
    out = driver.take_new_requests();
    ASSERT_EQ(out.size(), 1U);
    const HttpRequest& kms = out[0];
    EXPECT_EQ(kms.label, "kms/generate-random");
    EXPECT_EQ(kms.endpoint, (Endpoint{Scheme::https, "kms.us-east-1.amazonaws.com", 443}));
    EXPECT_EQ(kms.body, R"({"NumberOfBytes":1024})");
    EXPECT_EQ(header(kms, "X-Amz-Date"), "20261203T160000Z");
    EXPECT_EQ(header(kms, "X-Amz-Security-Token"), std::string(testing::session_token));
    EXPECT_TRUE(header_sensitive(kms, "X-Amz-Security-Token"));
    EXPECT_TRUE(header_sensitive(kms, "Authorization"));
    EXPECT_EQ(header(kms, "Authorization")
                  ->rfind("AWS4-HMAC-SHA256 Credential=ASIAQ3EXAMPLE7ROLEKEY/"
                          "20261203/us-east-1/kms/aws4_request, ",
                          0),
              0U);

    // Step 6: the plaintext goes to the pool as is, 8 bits a byte; its ack ends the run.
    driver.respond(kms.id, world.answer(kms));
    ASSERT_EQ(driver.additions.size(), 1U);
    EXPECT_EQ(driver.additions[0].bytes, world.last_plaintext);
    EXPECT_EQ(driver.additions[0].credit_bits, 8192U);
    driver.ack(driver.additions[0].id);
    EXPECT_TRUE(driver.seeder.finished());
    EXPECT_FALSE(driver.seeder.next_deadline().has_value());

    const Report& report = driver.seeder.report();
    EXPECT_EQ(report.outcome, Outcome::complete);
    EXPECT_EQ(report.requests, 9);
    EXPECT_EQ(report.retries, 0);
    EXPECT_EQ(report.kms.bytes, 1024U);
    EXPECT_EQ(report.kms.request_ids, std::vector<std::string>{"req-1"});
    EXPECT_TRUE(report.errors.empty());
    EXPECT_FALSE(driver.seeder.poll_command().has_value());
}

// ---- Timers and stray inputs ----

TEST(Seeder, SpuriousWakeUpDoesNothing) {
    Driver driver{SeederConfig{}};
    driver.start(0);
    driver.take_new_requests();
    driver.events.clear();

    driver.seeder.handle_timeout(at_ms(1500));
    EXPECT_FALSE(driver.seeder.poll_command().has_value());
    EXPECT_FALSE(driver.seeder.poll_event().has_value());
    EXPECT_EQ(driver.seeder.next_deadline(), MonoTime{30000});
    EXPECT_FALSE(driver.seeder.finished());
}

TEST(Seeder, AnswersToUnknownRequestsAreIgnoredAndSaidSo) {
    Driver driver{SeederConfig{}};
    driver.start(0);
    driver.take_new_requests();

    driver.respond(999, response(200, "x"));
    EXPECT_TRUE(driver.take_new_requests().empty());
    ASSERT_FALSE(driver.events.empty());
    EXPECT_NE(driver.events.back().message.find("999"), std::string::npos);
    EXPECT_EQ(driver.seeder.report().requests, 1);
}

TEST(Seeder, NothingIsEmittedAfterTheRunEnds) {
    HealthyWorld world;
    Driver driver{kms_only_config()};
    driver.start(0);
    driver.run(world);
    ASSERT_TRUE(driver.seeder.finished());
    const std::size_t emitted = driver.all_requests.size();

    driver.seeder.handle_timeout(at_ms(60000));
    driver.seeder.handle_response(1, response(200, "{}"), at_ms(60001));
    EXPECT_FALSE(driver.seeder.poll_command().has_value());
    EXPECT_EQ(driver.all_requests.size(), emitted);
}

TEST(Seeder, OverallDeadlineAbandonsOutstandingRequests) {
    SeederConfig config = kms_only_config();
    config.overall_deadline = MonoTime{5000};
    Driver driver{config};
    driver.start(0);

    // KMS's 10 s timeout is cut to the 5 s left.
    ASSERT_EQ(driver.requests.size(), 1U);
    EXPECT_EQ(driver.requests[0].deadline, MonoTime{5000});
    EXPECT_TRUE(driver.wake());
    EXPECT_TRUE(driver.seeder.finished());
    EXPECT_EQ(driver.now_ms, 5000);
    EXPECT_EQ(driver.seeder.report().outcome, Outcome::failed);
    EXPECT_TRUE(has_error(driver.seeder.report(), ErrorCode::deadline_exceeded));
}

// ---- IMDS rules ----

TEST(Seeder, TokenFallbackFollowsThePolicy) {
    struct Case {
        std::variant<int, TransportError> failure;
        ImdsV1Policy policy;
        bool falls_back;
    };
    const Case cases[] = {
        {403, ImdsV1Policy::allow, true},
        {404, ImdsV1Policy::allow, true},
        {405, ImdsV1Policy::allow, true},
        {500, ImdsV1Policy::allow, true},
        {503, ImdsV1Policy::allow, true},
        {TransportError::timed_out, ImdsV1Policy::allow, true},
        {TransportError::connection_refused, ImdsV1Policy::allow, true},
        {400, ImdsV1Policy::allow, false},
        {403, ImdsV1Policy::never, false},
        {TransportError::timed_out, ImdsV1Policy::never, false},
    };
    for (const Case& c : cases) {
        SeederConfig config;
        config.imds_v1 = c.policy;
        config.skip_kms = true;
        Driver driver{config};
        driver.start(0);
        driver.take_new_requests();
        const RequestId token = driver.requests.at(0).id;
        if (const int* status = std::get_if<int>(&c.failure)) {
            SCOPED_TRACE("status " + std::to_string(*status));
            driver.respond(token, response(*status, ""));
        } else {
            driver.fail(token, std::get<TransportError>(c.failure));
        }

        const auto out = driver.take_new_requests();
        EXPECT_EQ(out.size(), c.falls_back ? 4U : 0U);
        for (const HttpRequest& request : out) {
            EXPECT_FALSE(header(request, "X-aws-ec2-metadata-token").has_value());
        }
        EXPECT_EQ(driver.seeder.report().imds_v1, c.falls_back);
        EXPECT_EQ(driver.seeder.finished(), !c.falls_back);
    }
}

TEST(Seeder, NeverPolicyRetriesARefusedTokenRequestUntilTheDeadline) {
    SeederConfig config;
    config.imds_v1 = ImdsV1Policy::never;
    config.skip_kms = true;
    config.overall_deadline = MonoTime{10000};
    Driver driver{config};
    driver.start(0);

    // Far more than max_attempts: early boot is not limited to three attempts.
    int attempts = 0;
    while (!driver.seeder.finished() && attempts < 100) {
        ASSERT_EQ(driver.requests.size(), 1U);
        EXPECT_EQ(driver.requests[0].label, "imds/token");
        attempts += 1;
        driver.fail(driver.requests[0].id, TransportError::connection_refused);
        driver.wake();
    }
    EXPECT_TRUE(driver.seeder.finished());
    EXPECT_GT(attempts, 9);
    EXPECT_LE(driver.now_ms, 10000);
    EXPECT_EQ(driver.seeder.report().outcome, Outcome::failed);
}

TEST(Seeder, A401FetchesANewTokenAndRetriesOnceOnly) {
    Driver driver{phase1_only_config()};
    HealthyWorld world;
    driver.start(0);
    driver.answer_oldest(world);
    driver.take_new_requests();

    // First 401: a new token request, the mac GET parked.
    driver.respond(driver.outstanding("imds/mac")->id, response(401, ""));
    auto out = driver.take_new_requests();
    ASSERT_EQ(labels(out), std::vector<std::string>{"imds/token"});
    driver.respond(out[0].id, response(200, "AQAEAFreshToken=="));
    out = driver.take_new_requests();
    ASSERT_EQ(labels(out), std::vector<std::string>{"imds/mac"});
    EXPECT_EQ(header(out[0], "X-aws-ec2-metadata-token"), "AQAEAFreshToken==");

    // Second 401 for the same item: final.
    driver.respond(out[0].id, response(401, ""));
    EXPECT_TRUE(driver.take_new_requests().empty());
    driver.run(world);
    EXPECT_EQ(driver.seeder.report().outcome, Outcome::partial);
    bool mac_failed = false;
    for (const ErrorReport& error : driver.seeder.report().errors) {
        mac_failed = mac_failed || error.request == "imds/mac";
    }
    EXPECT_TRUE(mac_failed);
}

TEST(Seeder, ItemsAreHashedTrimmedAndCreditsAreCapped) {
    SeederConfig config;
    config.skip_kms = true;
    config.credits.bits["imds/mac"] = 100000;  // more than a SHA-1 digest can hold
    Driver driver{config};
    HealthyWorld world;
    driver.start(0);
    driver.answer_oldest(world);

    driver.respond(driver.outstanding("imds/instance-id")->id,
                   response(200, "  i-0a1b2c3d4e5f60718\r\n"));
    driver.respond(driver.outstanding("imds/mac")->id, response(200, "0e:3f:9a:12:7c:41\n"));
    ASSERT_EQ(driver.additions.size(), 2U);
    EXPECT_EQ(driver.additions[0].bytes, sha1_of("i-0a1b2c3d4e5f60718"));
    EXPECT_EQ(driver.additions[1].credit_bits, 160U);  // 8 bits a byte of the digest
}

TEST(Seeder, MalformedAndMissingItemsAreReportedAndSkipped) {
    Driver driver{phase1_only_config()};
    HealthyWorld world;
    driver.start(0);
    driver.answer_oldest(world);

    driver.respond(driver.outstanding("imds/mac")->id, response(200, "not-a-mac"));
    driver.respond(driver.outstanding("imds/local-ipv4")->id, response(404, "Not Found"));
    driver.run(world);

    const Report& report = driver.seeder.report();
    std::set<std::string> sources;
    for (const SourceReport& source : report.sources) {
        sources.insert(source.source);
    }
    EXPECT_EQ(sources, (std::set<std::string>{"imds/instance-id", "imds/signature"}));
    EXPECT_TRUE(has_error(report, ErrorCode::bad_mac));
    EXPECT_EQ(report.outcome, Outcome::partial);  // the malformed mac is a failure
    EXPECT_EQ(report.requests, 5);                // nothing was asked twice
}

TEST(Seeder, NoRoleEndsPhaseTwoCleanlyAndKeepsPhaseOne) {
    Driver driver{SeederConfig{}};
    HealthyWorld world;
    driver.start(0);
    driver.answer_oldest(world);
    driver.respond(driver.outstanding("imds/role")->id, response(404, ""));
    driver.run(world);

    const Report& report = driver.seeder.report();
    EXPECT_EQ(report.outcome, Outcome::partial);
    EXPECT_TRUE(has_error(report, ErrorCode::no_credentials));
    EXPECT_EQ(report.kms.calls, 0);
    for (const HttpRequest& request : driver.all_requests) {
        EXPECT_EQ(request.endpoint.scheme, Scheme::http);
    }
}

// ---- KMS rules ----

TEST(Seeder, ThrottlingIsRetriedWithBackoffUpToThreeAttempts) {
    Driver driver{kms_only_config()};
    driver.start(0);
    const HttpResponse throttled =
        response(400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})");

    std::vector<std::int64_t> sent_at;
    while (!driver.seeder.finished()) {
        ASSERT_LE(sent_at.size(), 3U);
        if (driver.requests.empty()) {
            ASSERT_TRUE(driver.wake());
            continue;
        }
        sent_at.push_back(driver.now_ms);
        driver.respond(driver.requests[0].id, throttled);
    }
    ASSERT_EQ(sent_at.size(), 3U);
    // Full jitter: the n-th retry waits at most base * 2^(n-1).
    EXPECT_LE(sent_at[1] - sent_at[0], 1000);
    EXPECT_LE(sent_at[2] - sent_at[1], 2000);
    EXPECT_TRUE(has_error(driver.seeder.report(), ErrorCode::retries_exhausted));
    EXPECT_EQ(driver.seeder.report().retries, 2);
}

TEST(Seeder, BackoffIsCappedAndReproducibleFromTheSeed) {
    const auto delays = [](std::uint64_t seed) {
        SeederConfig config = kms_only_config();
        config.retry = RetryPolicy{6, MonoTime{1000}, MonoTime{1500}};
        config.jitter_seed = seed;
        Driver driver{config};
        driver.start(0);
        std::vector<std::int64_t> waits;
        while (!driver.seeder.finished()) {
            driver.fail(driver.requests.at(0).id, TransportError::connection_reset);
            const std::int64_t before = driver.now_ms;
            if (!driver.seeder.finished()) {
                driver.wake();
                waits.push_back(driver.now_ms - before);
            }
        }
        return waits;
    };

    const auto first = delays(1);
    EXPECT_EQ(first, delays(1));
    EXPECT_NE(first, delays(2));
    ASSERT_EQ(first.size(), 5U);
    for (const std::int64_t wait : first) {
        EXPECT_LE(wait, 1500);
    }
}

TEST(Seeder, FatalKmsErrorsAreNotRetried) {
    for (const char* type :
         {"AccessDeniedException", "ValidationException", "UnrecognizedClientException"}) {
        Driver driver{kms_only_config()};
        driver.start(0);
        driver.respond(driver.requests.at(0).id, response(400, std::string(R"({"__type":")") +
                                                                   type + R"(","message":"no"})"));
        EXPECT_TRUE(driver.seeder.finished()) << type;
        EXPECT_EQ(driver.seeder.report().kms.calls, 1) << type;
        EXPECT_TRUE(has_error(driver.seeder.report(), ErrorCode::kms_fatal)) << type;
    }
}

TEST(Seeder, RejectedPlaintextIsNeverCredited) {
    Driver driver{kms_only_config()};
    driver.start(0);
    const SecureBytes zeros(1024, 0);
    const SecureBytes short_reply = testing::plaintext(512, 9);

    driver.respond(driver.requests.at(0).id, testing::kms_reply(zeros));
    driver.wake();
    driver.respond(driver.requests.at(0).id, testing::kms_reply(short_reply));
    driver.wake();
    driver.respond(driver.requests.at(0).id, response(200, R"({"Plaintext":"not base64!"})"));

    EXPECT_TRUE(driver.all_additions.empty());
    EXPECT_TRUE(driver.seeder.finished());
    EXPECT_EQ(driver.seeder.report().outcome, Outcome::failed);
}

TEST(Seeder, ClockSkewIsCorrectedOnceFromTheDateHeader) {
    Driver driver{kms_only_config()};
    driver.start(0);
    const HttpResponse skewed =
        response(400, R"({"__type":"InvalidSignatureException","message":"Signature expired: x"})",
                 {{"Date", "Thu, 03 Dec 2026 16:20:00 GMT", false}});

    driver.respond(driver.requests.at(0).id, skewed);
    // Re-signed at once, 20 minutes later by KMS's clock.
    ASSERT_EQ(driver.requests.size(), 1U);
    EXPECT_EQ(header(driver.requests[0], "X-Amz-Date"), "20261203T162000Z");
    EXPECT_EQ(driver.now_ms, 0);

    // A second skew error is final.
    driver.respond(driver.requests.at(0).id, skewed);
    EXPECT_TRUE(driver.seeder.finished());
    EXPECT_TRUE(has_error(driver.seeder.report(), ErrorCode::kms_clock_skew));
}

TEST(Seeder, ClockSkewWithoutAnyTimeIsFinal) {
    Driver driver{kms_only_config()};
    driver.start(0);
    driver.respond(driver.requests.at(0).id,
                   response(400,
                            R"({"__type":"InvalidSignatureException",)"
                            R"("message":"Signature not yet current: soon"})",
                            {{"Date", "yesterday", false}}));
    EXPECT_TRUE(driver.seeder.finished());
    EXPECT_EQ(driver.seeder.report().kms.calls, 1);
}

TEST(Seeder, AFailedKmsAdditionIsNotRetried) {
    SeederConfig config = kms_only_config();
    config.kms_bytes = 2048;
    HealthyWorld world;
    Driver driver{config};
    driver.start(0);
    driver.answer_oldest(world);
    driver.ack(driver.additions.at(0).id, false);

    EXPECT_TRUE(driver.seeder.finished());
    EXPECT_EQ(driver.seeder.report().kms.calls, 1);
    EXPECT_EQ(driver.seeder.report().outcome, Outcome::failed);
    EXPECT_TRUE(has_error(driver.seeder.report(), ErrorCode::entropy_not_applied));
}

TEST(Seeder, RoundsAreAtMost1024Bytes) {
    SeederConfig config = kms_only_config();
    config.kms_bytes = 2500;
    HealthyWorld world;
    Driver driver{config};
    driver.start(0);
    driver.run(world);

    std::vector<std::string> bodies;
    for (const HttpRequest& request : driver.all_requests) {
        bodies.push_back(request.body);
    }
    EXPECT_EQ(bodies,
              (std::vector<std::string>{R"({"NumberOfBytes":1024})", R"({"NumberOfBytes":1024})",
                                        R"({"NumberOfBytes":452})"}));
    EXPECT_EQ(driver.seeder.report().kms.bytes, 2500U);
    EXPECT_EQ(driver.seeder.report().outcome, Outcome::complete);
}

// ---- Configuration ----

TEST(Seeder, ValidateRejectsEachBadSetting) {
    const auto rejects = [](auto change) {
        SeederConfig config;
        change(config);
        return !Seeder::validate(config).has_value();
    };
    EXPECT_FALSE(rejects([](SeederConfig&) {}));
    EXPECT_TRUE(rejects([](SeederConfig& c) { c.skip_metadata = c.skip_kms = true; }));
    EXPECT_TRUE(rejects([](SeederConfig& c) { c.imds_token_ttl_seconds = 0; }));
    EXPECT_TRUE(rejects([](SeederConfig& c) { c.imds_token_ttl_seconds = 21601; }));
    EXPECT_TRUE(rejects([](SeederConfig& c) { c.kms_bytes = 0; }));
    EXPECT_TRUE(rejects([](SeederConfig& c) { c.region = "not a region"; }));
    EXPECT_TRUE(rejects([](SeederConfig& c) { c.credentials = Credentials{}; }));
    EXPECT_TRUE(rejects([](SeederConfig& c) { c.custom_key_store_id = ""; }));
    EXPECT_TRUE(rejects([](SeederConfig& c) { c.hash = "NoSuchHash"; }));
    EXPECT_TRUE(rejects([](SeederConfig& c) { c.credits.bits["imds/macc"] = 1; }));
    EXPECT_TRUE(rejects([](SeederConfig& c) { c.overall_deadline = MonoTime{0}; }));
    EXPECT_TRUE(rejects([](SeederConfig& c) { c.retry.max_attempts = 0; }));
    EXPECT_TRUE(rejects([](SeederConfig& c) { c.retry.base_delay = MonoTime{0}; }));
    EXPECT_TRUE(rejects([](SeederConfig& c) { c.imds.host.clear(); }));
}

TEST(Seeder, AnInvalidConfigurationEndsAtStart) {
    SeederConfig config;
    config.hash = "NoSuchHash";
    Driver driver{config};
    driver.start(0);
    EXPECT_TRUE(driver.seeder.finished());
    EXPECT_TRUE(driver.all_requests.empty());
    EXPECT_TRUE(has_error(driver.seeder.report(), ErrorCode::bad_config));
}

// ---- No secret reaches an event or the report ----

TEST(Seeder, EventsAndReportHoldNoSecret) {
    HealthyWorld world;
    Driver driver{SeederConfig{}};
    driver.start(0);
    driver.run(world);
    ASSERT_EQ(driver.seeder.report().outcome, Outcome::complete);

    std::string told;
    for (const Event& event : driver.events) {
        told += event.message + "\n";
    }
    for (const ErrorReport& error : driver.seeder.report().errors) {
        told += error.error.message + "\n";
    }
    for (const std::string_view secret :
         {testing::token_value, testing::secret_key, testing::session_token}) {
        EXPECT_EQ(told.find(secret), std::string::npos) << secret;
    }
    const std::string plaintext = base64_encode(world.last_plaintext);
    EXPECT_EQ(told.find(plaintext.substr(0, 16)), std::string::npos);
}

// ---- Properties over random worlds ----

// A world that answers each request with a random outcome, and a driver that
// delivers answers in random order at random times (never past a request's
// deadline, as a transport guarantees) and wakes the seeder at its deadline.
void check_random_run(const SeederConfig& config) {
    Driver driver{config};
    const std::int64_t deadline = config.overall_deadline.count();
    std::set<std::string> valid_plaintexts;  // replies that pass every check
    std::multiset<std::string> credited;
    SecureBytes previous;
    std::uint64_t serial = 0;

    driver.start(0);
    const int bound = 20000;
    int steps = 0;
    std::size_t seen_requests = 0;
    std::size_t seen_additions = 0;
    std::map<RequestId, std::int64_t> answer_at;

    while (!driver.seeder.finished()) {
        RC_ASSERT(steps++ < bound);

        // Invariants on everything emitted since the last step.
        for (; seen_requests < driver.all_requests.size(); ++seen_requests) {
            const HttpRequest& request = driver.all_requests[seen_requests];
            RC_ASSERT(request.deadline.count() <= deadline);
            RC_ASSERT(request.deadline.count() >= driver.now_ms);
            if (request.label == "kms/generate-random") {
                // No HTTPS request before every phase-1 addition is acknowledged.
                RC_ASSERT(driver.additions.empty());
                for (const HttpRequest& other : driver.requests) {
                    RC_ASSERT(other.label.rfind("imds/", 0) != 0);
                }
                const auto authorization = header(request, "Authorization");
                RC_ASSERT(authorization.has_value());
                RC_ASSERT(authorization->rfind("AWS4-HMAC-SHA256 Credential=", 0) == 0);
                RC_ASSERT(authorization->find("/kms/aws4_request, SignedHeaders=") !=
                          std::string::npos);
                RC_ASSERT(authorization->find(", Signature=") + 12 + 64 == authorization->size());
                RC_ASSERT(header(request, "X-Amz-Date").has_value());
            }
            answer_at[request.id] = std::min<std::int64_t>(
                driver.now_ms + *rc::gen::inRange(0, 3000), request.deadline.count());
        }
        for (; seen_additions < driver.all_additions.size(); ++seen_additions) {
            const EntropyAddition& addition = driver.all_additions[seen_additions];
            RC_ASSERT(addition.credit_bits <= addition.bytes.size() * 8);
            if (addition.source == "kms/generate-random") {
                const std::string bytes(addition.bytes.begin(), addition.bytes.end());
                RC_ASSERT(valid_plaintexts.count(bytes) == 1U);
                credited.insert(bytes);
                RC_ASSERT(credited.count(bytes) == 1U);
            }
        }

        // The next input: an answer, an acknowledgement, or the clock.
        const int choice = *rc::gen::inRange(0, 10);
        if (!driver.requests.empty() && choice < 6) {
            const std::size_t index = *rc::gen::inRange<std::size_t>(0, driver.requests.size());
            const HttpRequest request = driver.requests[index];
            driver.now_ms = std::max(driver.now_ms, answer_at[request.id]);
            const int outcome = *rc::gen::inRange(0, 20);
            if (outcome < 12) {
                HealthyWorld world;
                HttpResponse reply = world.answer(request);
                if (request.label == "kms/generate-random") {
                    const std::size_t size = testing::requested_bytes(request);
                    SecureBytes bytes = testing::plaintext(size, ++serial);
                    const int kind = *rc::gen::inRange(0, 6);
                    if (kind == 0)
                        bytes.assign(size, 0);
                    if (kind == 1 && previous.size() == size)
                        bytes = previous;
                    if (kind == 2)
                        bytes.resize(size + 1);
                    const bool valid = kind > 2 || (kind == 1 && previous.size() != size);
                    if (valid) {
                        valid_plaintexts.insert(std::string(bytes.begin(), bytes.end()));
                    }
                    if (bytes.size() == size) {
                        previous = bytes;
                    }
                    reply = testing::kms_reply(bytes);
                }
                driver.respond(request.id, std::move(reply));
            } else if (outcome < 17) {
                const std::vector<int> statuses = {400, 401, 403, 404, 405, 429, 500, 503};
                driver.respond(request.id, response(*rc::gen::elementOf(statuses), "{}"));
            } else {
                const auto error = *rc::gen::element(
                    TransportError::connection_refused, TransportError::timed_out,
                    TransportError::connection_reset, TransportError::malformed_response);
                if (error == TransportError::timed_out) {
                    driver.now_ms = std::max<std::int64_t>(driver.now_ms, request.deadline.count());
                }
                driver.fail(request.id, error);
            }
        } else if (!driver.additions.empty() && choice < 9) {
            driver.ack(driver.additions.front().id, *rc::gen::inRange(0, 8) > 0);
        } else {
            // Wake at the deadline or a bit earlier (a spurious wake-up); a
            // driver never oversleeps its next deadline.
            const auto next = driver.seeder.next_deadline();
            RC_ASSERT(next.has_value());
            const std::int64_t early = *rc::gen::inRange(0, 2) == 0 ? *rc::gen::inRange(0, 50) : 0;
            driver.timeout_at(next->count() - early);
        }
        // Nothing is answered later than its request's deadline.
        for (const HttpRequest& request : driver.requests) {
            if (request.deadline.count() < driver.now_ms) {
                driver.fail(request.id, TransportError::timed_out);
                break;
            }
        }
    }

    // The run ended by its deadline, and the report adds up.
    RC_ASSERT(driver.now_ms <= deadline);
    const Report& report = driver.seeder.report();
    std::size_t kms_bytes = 0;
    for (const SourceReport& source : report.sources) {
        RC_ASSERT(source.credit_bits <= source.bytes * 8);
        if (source.source == "kms/generate-random") {
            kms_bytes = source.bytes;
        }
    }
    RC_ASSERT(kms_bytes == report.kms.bytes);
    RC_ASSERT(report.outcome != Outcome::complete || report.kms.bytes == config.kms_bytes ||
              config.skip_kms);
}

RC_GTEST_PROP(SeederProperties, RandomWorldsKeepEveryInvariant, ()) {
    SeederConfig config;
    config.imds_v1 = *rc::gen::element(ImdsV1Policy::allow, ImdsV1Policy::never);
    config.kms_bytes = *rc::gen::element<std::size_t>(1, 1024, 1500, 3072);
    config.skip_metadata = *rc::gen::inRange(0, 4) == 0;
    if (*rc::gen::arbitrary<bool>() || config.skip_metadata) {
        config.region = "us-west-2";
    }
    if (*rc::gen::arbitrary<bool>()) {
        config.credentials =
            Credentials{"AKIAIOSFODNN7EXAMPLE", Secret(testing::secret_key), Secret()};
    }
    config.overall_deadline = MonoTime{*rc::gen::inRange(2000, 30001)};
    config.jitter_seed = *rc::gen::arbitrary<std::uint64_t>();
    check_random_run(config);
}

}  // namespace
}  // namespace ec2seed
