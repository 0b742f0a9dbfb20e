// The replay machinery: answers in every order give the same outcome, broken
// transcripts are refused with the line that is wrong, bodies survive the format,
// and a recording of a run holds no secret yet replays exactly.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <numeric>
#include <sstream>

#include "../unit/seeder_world.h"
#include "ec2seed/core/transcript.h"

namespace ec2seed {
namespace {

using testing::at_ms;
using testing::Driver;
using testing::HealthyWorld;
using testing::response;

std::string read_transcript(const std::string& name) {
    std::ifstream file(std::string(EC2SEED_TRANSCRIPTS_DIR) + "/" + name, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// ---- Concurrent answers in every order ----

struct RunSummary {
    std::string report;
    std::vector<std::pair<std::string, std::string>> additions;  // (source, bytes), sorted
};

RunSummary run_with_metadata_order(const std::vector<std::size_t>& order) {
    HealthyWorld world;
    Driver driver{SeederConfig{}};
    driver.start(0);
    driver.take_new_requests();
    driver.answer_oldest(world);

    // The six GETs that left together, answered in the given order, each
    // addition acknowledged as soon as it appears.
    const std::vector<HttpRequest> batch = driver.take_new_requests();
    EXPECT_EQ(batch.size(), order.size());
    for (const std::size_t index : order) {
        driver.now_ms += 1;
        driver.respond(batch[index].id, world.answer(batch[index]));
        driver.ack_all();
    }
    driver.run(world);

    RunSummary summary;
    summary.report = transcript::render_report(driver.seeder.report());
    for (const EntropyAddition& addition : driver.all_additions) {
        if (addition.source != "kms/generate-random") {
            summary.additions.emplace_back(
                addition.source, std::string(addition.bytes.begin(), addition.bytes.end()));
        }
    }
    std::sort(summary.additions.begin(), summary.additions.end());
    return summary;
}

TEST(ReplayOrders, EveryOrderOfTheMetadataAnswersGivesTheSameOutcome) {
    std::vector<std::size_t> order(6);
    std::iota(order.begin(), order.end(), 0);
    const RunSummary baseline = run_with_metadata_order(order);
    ASSERT_NE(baseline.report.find("report outcome complete"), std::string::npos);
    ASSERT_EQ(baseline.additions.size(), 4U);

    int orders = 0;
    do {
        const RunSummary summary = run_with_metadata_order(order);
        ASSERT_EQ(summary.report, baseline.report) << "order #" << orders;
        ASSERT_EQ(summary.additions, baseline.additions) << "order #" << orders;
        orders += 1;
    } while (std::next_permutation(order.begin(), order.end()));
    EXPECT_EQ(orders, 720);
}

// ---- Broken transcripts are refused, and say where ----

TEST(TranscriptFormat, RefusesBrokenTranscriptsNamingTheLine) {
    const std::pair<std::string, std::string> cases[] = {
        {"config imds http://x:80\n", "line 1"},
        {"ec2seed-transcript 1\nconfig colour blue\n", "unknown config key"},
        {"ec2seed-transcript 1\nconfig kms-bytes many\n", "line 2"},
        {"ec2seed-transcript 1\nin  start mono=0 wall=20261203T160000Z\n", "start"},
        {"ec2seed-transcript 1\nin  start mono=0ms wall=2026-12-03\n", "start"},
        {"ec2seed-transcript 1\nin    body abc\n", "outside a response"},
        {"ec2seed-transcript 1\nin  response 1 status=200 mono=0ms wall=20261203T160000Z\n"
         "in    body bad\\q\n",
         "escape"},
        {"ec2seed-transcript 1\nin  transport-error 1 on_fire mono=0ms wall=20261203T160000Z\n",
         "transport-error"},
        {"ec2seed-transcript 1\nsomething else\n", "not a transcript line"},
        {"# only a comment\n", "ec2seed-transcript"},
    };
    for (const auto& [text, expected] : cases) {
        const auto parsed = transcript::parse(text);
        ASSERT_FALSE(parsed.has_value()) << text;
        EXPECT_EQ(parsed.error().code, ErrorCode::bad_field);
        EXPECT_NE(parsed.error().message.find(expected), std::string::npos)
            << parsed.error().message;
    }
}

TEST(TranscriptFormat, AChangedOutputLineFailsTheReplay) {
    const std::string original = read_transcript("happy_imdsv2.transcript");
    ASSERT_FALSE(original.empty());
    const auto parsed = transcript::parse(original);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    const std::string replayed = transcript::replay(*parsed);
    EXPECT_FALSE(transcript::first_difference(original, replayed).has_value());

    // One credit changed in the expected outputs: the replay no longer matches.
    std::string tampered = original;
    const std::size_t at = tampered.find("credit=24 ");
    ASSERT_NE(at, std::string::npos);
    tampered.replace(at, 10, "credit=32 ");
    const auto difference = transcript::first_difference(tampered, replayed);
    ASSERT_TRUE(difference.has_value());
    EXPECT_NE(difference->find("credit=32"), std::string::npos);

    // A comment more or less changes nothing.
    EXPECT_FALSE(transcript::first_difference("# note\n" + original, replayed).has_value());
}

RC_GTEST_PROP(TranscriptFormat, ResponseBodiesAndHeadersSurviveRenderAndParse,
              (const std::string& body, const std::string& value)) {
    transcript::Transcript original;
    original.config.skip_kms = true;
    transcript::ResponseInput input;
    input.id = 1;
    input.response = response(*rc::gen::inRange(100, 600), body, {{"X-Test", value, false}});
    original.inputs.push_back({at_ms(0), transcript::StartInput{}});
    original.inputs.push_back({at_ms(5), input});

    const std::string text = transcript::replay(original);
    const auto parsed = transcript::parse(text);
    RC_ASSERT(parsed.has_value());
    RC_ASSERT(parsed->inputs.size() == 2U);
    const auto* reply = std::get_if<transcript::ResponseInput>(&parsed->inputs[1].what);
    RC_ASSERT(reply != nullptr);
    RC_ASSERT(std::string(body_view(reply->response)) == body);
    RC_ASSERT(reply->response.headers.at(0).value == value);
    RC_ASSERT(transcript::replay(*parsed) == text);
    // No rendered line ends in white space.
    RC_ASSERT(text.find(" \n") == std::string::npos);
}

// ---- Recording a real run ----

// Runs a healthy world through a Seeder and a TranscriptRecorder side by side.
struct Recorded {
    std::string text;
    bool diverged = false;
    Report report;
};

Recorded record(const SeederConfig& config, HealthyWorld& world,
                const std::function<HttpResponse(const HttpRequest&)>& answer = {}) {
    Seeder seeder(config);
    transcript::TranscriptRecorder recorder(config);
    std::int64_t now = 0;
    seeder.start(at_ms(now));
    recorder.on_start(at_ms(now));

    for (int steps = 0; !seeder.finished() && steps < 1000; ++steps) {
        std::optional<Command> command = seeder.poll_command();
        while (seeder.poll_event()) {
        }
        now += 1;
        if (!command) {
            const auto next = seeder.next_deadline();
            now = std::max<std::int64_t>(now, next ? next->count() : now);
            seeder.handle_timeout(at_ms(now));
            recorder.on_timeout(at_ms(now));
        } else if (const auto* request = std::get_if<HttpRequest>(&*command)) {
            const HttpResponse reply = answer ? answer(*request) : world.answer(*request);
            seeder.handle_response(request->id, reply, at_ms(now));
            recorder.on_response(request->id, reply, at_ms(now));
        } else {
            const auto& addition = std::get<EntropyAddition>(*command);
            seeder.handle_entropy_result(addition.id, EntropyResult{true, ""}, at_ms(now));
            recorder.on_entropy_result(addition.id, EntropyResult{true, ""}, at_ms(now));
        }
    }
    recorder.finish(seeder.report());
    return Recorded{recorder.text(), recorder.diverged(), seeder.report()};
}

std::string hex(const SecureBytes& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string text;
    for (const std::uint8_t b : bytes) {
        text += digits[b >> 4U];
        text += digits[b & 0xfU];
    }
    return text;
}

void expect_replays_exactly(const std::string& text) {
    const auto parsed = transcript::parse(text);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    const auto difference = transcript::first_difference(text, transcript::replay(*parsed));
    EXPECT_FALSE(difference.has_value()) << *difference;
}

TEST(TranscriptRecorder, ARecordingHoldsNoSecretAndReplaysExactly) {
    HealthyWorld world;
    const Recorded recorded = record(SeederConfig{}, world);
    ASSERT_EQ(recorded.report.outcome, Outcome::complete);
    EXPECT_FALSE(recorded.diverged);

    // Secrets, metadata values and the bytes that reached the pool are all gone.
    for (const std::string_view secret :
         {testing::token_value, testing::secret_key, testing::session_token,
          std::string_view("i-0a1b2c3d4e5f60718"), std::string_view("172.31.29.17"),
          std::string_view("0e:3f:9a:12:7c:41"), std::string_view("ASIAQ3EXAMPLE7ROLEKEY"),
          testing::signature_text.substr(0, 40)}) {
        EXPECT_EQ(recorded.text.find(secret), std::string::npos) << secret;
    }
    EXPECT_EQ(recorded.text.find(hex(world.last_plaintext).substr(0, 32)), std::string::npos);
    EXPECT_EQ(recorded.text.find(base64_encode(world.last_plaintext).substr(0, 32)),
              std::string::npos);

    // What stays: the flow, the region, the report.
    EXPECT_NE(recorded.text.find("report outcome complete"), std::string::npos);
    EXPECT_NE(recorded.text.find("kms.us-east-1.amazonaws.com"), std::string::npos);
    expect_replays_exactly(recorded.text);
}

TEST(TranscriptRecorder, RejectedKmsRepliesStayRejectedInTheRecording) {
    SeederConfig config;
    config.skip_metadata = true;
    config.region = "us-east-1";
    config.credentials =
        Credentials{"AKIAIOSFODNN7EXAMPLE", Secret(testing::secret_key), Secret("sessiontoken")};
    config.kms_bytes = 2048;

    // Zero bytes, then a good reply, then a repeat of it, then a good one.
    int replies = 0;
    const SecureBytes good = testing::plaintext(1024, 1);
    const auto answer = [&](const HttpRequest&) {
        replies += 1;
        switch (replies) {
            case 1:
                return testing::kms_reply(SecureBytes(1024, 0));
            case 2:
            case 3:
                return testing::kms_reply(good);
            default:
                return testing::kms_reply(testing::plaintext(1024, 2));
        }
    };
    HealthyWorld world;
    const Recorded recorded = record(config, world, answer);
    ASSERT_EQ(recorded.report.outcome, Outcome::complete);
    ASSERT_EQ(recorded.report.kms.calls, 4);
    EXPECT_FALSE(recorded.diverged);

    EXPECT_EQ(recorded.text.find(testing::secret_key), std::string::npos);
    EXPECT_EQ(recorded.text.find("AKIAIOSFODNN7EXAMPLE"), std::string::npos);
    EXPECT_NE(recorded.text.find("access-key-id=AKIAXXXXXXXXXXXXXXXX"), std::string::npos);
    EXPECT_EQ(recorded.text.find(hex(good).substr(0, 32)), std::string::npos);
    EXPECT_NE(recorded.text.find("Plaintext is all zero"), std::string::npos);
    EXPECT_NE(recorded.text.find("Plaintext repeats the previous reply"), std::string::npos);
    expect_replays_exactly(recorded.text);
}

TEST(TranscriptRecorder, ARunThatTakesAnotherPathIsMarkedDiverged) {
    HealthyWorld world;
    Seeder seeder(SeederConfig{});
    transcript::TranscriptRecorder recorder(SeederConfig{});
    seeder.start(at_ms(0));
    recorder.on_start(at_ms(0));

    // The driver reports an answer to a request the recorded copy never made.
    recorder.on_response(42, response(200, "secret-looking-value"), at_ms(1));
    recorder.finish(seeder.report());
    EXPECT_TRUE(recorder.diverged());
    EXPECT_EQ(recorder.text().find("secret-looking-value"), std::string::npos);
    expect_replays_exactly(recorder.text());
}

}  // namespace
}  // namespace ec2seed
