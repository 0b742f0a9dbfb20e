// KMS GenerateRandom messages: the request the core builds, the reply parser's
// acceptances and rejections, and the classification of error replies.
#include "ec2seed/core/kms.h"

#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <boost/json/parse.hpp>

#include "ec2seed/core/base64.h"

namespace ec2seed::kms {
namespace {

const Endpoint kms_endpoint{Scheme::https, "127.0.0.1", 8443};

std::string reply_for(const Bytes& bytes) {
    return R"({"Plaintext":")" + base64_encode(bytes) + "\"}";
}

template <typename T>
ErrorCode rejection(const Result<T>& result) {
    EXPECT_FALSE(result.has_value()) << "the parser accepted its input";
    return result ? ErrorCode::bad_config : result.error().code;
}

// Endpoint.

TEST(KmsEndpoint, FollowsThePartitionsDnsSuffix) {
    EXPECT_EQ(default_endpoint("us-east-1"),
              (Endpoint{Scheme::https, "kms.us-east-1.amazonaws.com", 443}));
    EXPECT_EQ(default_endpoint("us-gov-west-1").host, "kms.us-gov-west-1.amazonaws.com");
    EXPECT_EQ(default_endpoint("cn-northwest-1").host, "kms.cn-northwest-1.amazonaws.com.cn");
    EXPECT_EQ(default_endpoint("us-iso-east-1").host, "kms.us-iso-east-1.c2s.ic.gov");
    EXPECT_EQ(default_endpoint("us-isob-east-1").host, "kms.us-isob-east-1.sc2s.sgov.gov");
}

// Request.

TEST(KmsRequest, IsTheGenerateRandomCall) {
    const Result<HttpRequest> request = generate_random_request(kms_endpoint, 1024, std::nullopt);
    ASSERT_TRUE(request) << request.error().message;
    EXPECT_EQ(request->method, "POST");
    EXPECT_EQ(request->target, "/");
    EXPECT_EQ(request->endpoint, kms_endpoint);
    EXPECT_EQ(request->body, R"({"NumberOfBytes":1024})");
    ASSERT_EQ(request->headers.size(), 3U);
    EXPECT_EQ(request->headers[0].name, "Host");
    EXPECT_EQ(request->headers[0].value, "127.0.0.1:8443");
    EXPECT_EQ(request->headers[1].name, "Content-Type");
    EXPECT_EQ(request->headers[1].value, "application/x-amz-json-1.1");
    EXPECT_EQ(request->headers[2].name, "X-Amz-Target");
    EXPECT_EQ(request->headers[2].value, "TrentService.GenerateRandom");
    for (const HttpHeader& header : request->headers) {
        EXPECT_FALSE(header.sensitive) << header.name;
    }
    EXPECT_GE(request->max_response_bytes, max_reply_bytes);
}

TEST(KmsRequest, HostOmitsTheDefaultPort) {
    const Result<HttpRequest> request =
        generate_random_request(default_endpoint("eu-west-1"), 1, std::nullopt);
    ASSERT_TRUE(request);
    EXPECT_EQ(request->headers[0].value, "kms.eu-west-1.amazonaws.com");
    EXPECT_EQ(request->body, R"({"NumberOfBytes":1})");
}

TEST(KmsRequest, CarriesTheCustomKeyStoreIdJsonEscaped) {
    const Result<HttpRequest> plain =
        generate_random_request(kms_endpoint, 32, std::string("cks-1234567890abcdef0"));
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->body, R"({"NumberOfBytes":32,"CustomKeyStoreId":"cks-1234567890abcdef0"})");

    const Result<HttpRequest> odd =
        generate_random_request(kms_endpoint, 32, std::string("a\"b\\c"));
    ASSERT_TRUE(odd);
    EXPECT_EQ(odd->body, R"({"NumberOfBytes":32,"CustomKeyStoreId":"a\"b\\c"})");
}

TEST(KmsRequest, RefusesACountOutside1To1024) {
    for (const std::size_t n : {std::size_t{0}, std::size_t{1025}, std::size_t{1} << 40}) {
        const Result<HttpRequest> request = generate_random_request(kms_endpoint, n, std::nullopt);
        EXPECT_EQ(rejection(request), ErrorCode::bad_config) << n;
    }
}

TEST(KmsRequest, RefusesABadCustomKeyStoreId) {
    for (const std::string& id : {std::string(), std::string(65, 'c'), std::string("cks-\n1"),
                                  std::string("cks-\xc3\xa9"), std::string("cks\0x", 5)}) {
        EXPECT_EQ(rejection(generate_random_request(kms_endpoint, 8, id)), ErrorCode::bad_config)
            << id.size();
    }
    EXPECT_TRUE(generate_random_request(kms_endpoint, 8, std::string(64, 'c')));
}

RC_GTEST_PROP(KmsProperty, RequestBodyIsTheJsonItMeans, ()) {
    const std::size_t n = *rc::gen::inRange<std::size_t>(1, 1025);
    const std::string id = *rc::gen::resize(
        64, rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::inRange<char>(0x20, 0x7f))));

    const Result<HttpRequest> request = generate_random_request(kms_endpoint, n, id);
    RC_ASSERT(request.has_value());
    boost::json::error_code ec;
    const boost::json::value body = boost::json::parse(request->body, ec);
    RC_ASSERT(!ec);
    RC_ASSERT(body.as_object().size() == 2U);
    RC_ASSERT(body.at("NumberOfBytes").as_int64() == static_cast<std::int64_t>(n));
    RC_ASSERT(body.at("CustomKeyStoreId").as_string() == id);
}

// Reply.

TEST(KmsReply, DecodesPlaintextOfTheAskedLength) {
    const Bytes bytes{0x00, 0xff, 0x10, 0x80, 0x7f};
    const Result<SecureBytes> plaintext =
        parse_generate_random_reply(R"({"KeyId":null,"Plaintext":")" + base64_encode(bytes) +
                                        R"(","CiphertextForRecipient":null})",
                                    bytes.size());
    ASSERT_TRUE(plaintext) << plaintext.error().message;
    EXPECT_TRUE(*plaintext == SecureBytes(bytes.begin(), bytes.end()));
}

TEST(KmsReply, RejectsEachMalformedShape) {
    const std::vector<std::tuple<std::string, std::size_t, ErrorCode>> cases{
        {"", 4, ErrorCode::bad_json},
        {"Plaintext=AAAA", 3, ErrorCode::bad_json},
        {R"(["AAAA"])", 3, ErrorCode::bad_json},
        {R"({"Plaintext":"AAAA")", 3, ErrorCode::bad_json},
        {R"({"Plaintext":"AAAA"}x)", 3, ErrorCode::bad_json},
        {R"({"Plaintext":["AAAA"]})", 3, ErrorCode::bad_json},
        {R"({"Plaintext":1234})", 3, ErrorCode::bad_json},
        {R"({"plaintext":"AAAA"})", 3, ErrorCode::missing_field},
        {R"({})", 3, ErrorCode::missing_field},
        {R"({"Plaintext":""})", 0, ErrorCode::missing_field},
        {R"({"Plaintext":"AAA"})", 2, ErrorCode::bad_base64},
        {R"({"Plaintext":"AA\nAA"})", 3, ErrorCode::bad_base64},
        {R"({"Plaintext":"AB=="})", 1, ErrorCode::bad_base64},
        {R"({"Plaintext":"AA-_"})", 3, ErrorCode::bad_base64},
        {R"({"Plaintext":"AAAA"})", 4, ErrorCode::bad_length},
        {R"({"Plaintext":"AAAA"})", 2, ErrorCode::bad_length},
    };
    for (const auto& [body, expected, code] : cases) {
        EXPECT_EQ(rejection(parse_generate_random_reply(body, expected)), code) << body;
    }
}

TEST(KmsReply, LengthErrorNamesBothLengths) {
    const Result<SecureBytes> plaintext = parse_generate_random_reply(reply_for(Bytes(16)), 32);
    ASSERT_EQ(rejection(plaintext), ErrorCode::bad_length);
    EXPECT_EQ(plaintext.error().message,
              "GenerateRandom Plaintext holds 16 bytes, 32 were asked for");
}

TEST(KmsReply, BadBase64ErrorQuotesNoPlaintext) {
    const Result<SecureBytes> plaintext =
        parse_generate_random_reply(R"({"Plaintext":"c2VjcmV0c2VjcmV0!A=="})", 12);
    ASSERT_EQ(rejection(plaintext), ErrorCode::bad_base64);
    EXPECT_EQ(plaintext.error().message.find("c2VjcmV0"), std::string::npos);
    EXPECT_NE(plaintext.error().message.find("offset 16"), std::string::npos);
}

TEST(KmsReply, AcceptsItsBoundAndRejectsOneMore) {
    const std::string body = reply_for(Bytes(1024, 0x5a));
    const std::string at_bound = body + std::string(max_reply_bytes - body.size(), ' ');
    EXPECT_TRUE(parse_generate_random_reply(at_bound, 1024));
    EXPECT_EQ(rejection(parse_generate_random_reply(at_bound + " ", 1024)),
              ErrorCode::input_too_large);
}

RC_GTEST_PROP(KmsProperty, ReplyRoundTrips, ()) {
    const std::size_t n = *rc::gen::inRange<std::size_t>(1, 1025);
    const Bytes bytes = *rc::gen::container<Bytes>(n, rc::gen::arbitrary<std::uint8_t>());

    const Result<SecureBytes> plaintext = parse_generate_random_reply(reply_for(bytes), n);
    RC_ASSERT(plaintext.has_value());
    RC_ASSERT(Bytes(plaintext->begin(), plaintext->end()) == bytes);
}

RC_GTEST_PROP(KmsProperty, ReplyNeverAcceptsMoreThanItsBound, ()) {
    const std::size_t n = *rc::gen::inRange<std::size_t>(1, 1025);
    const std::string body = reply_for(Bytes(n, 1));
    const std::size_t size =
        *rc::gen::inRange<std::size_t>(max_reply_bytes + 1, 4 * max_reply_bytes);

    const Result<SecureBytes> plaintext =
        parse_generate_random_reply(body + std::string(size - body.size(), '\n'), n);
    RC_ASSERT(!plaintext.has_value());
    RC_ASSERT(plaintext.error().code == ErrorCode::input_too_large);
}

// Errors.

struct ErrorCase {
    int status;
    std::string body;
    std::string type;
    std::string message;
    ErrorKind kind;
};

TEST(KmsError, ClassifiesAsTheSdksDo) {
    const std::vector<ErrorCase> cases{
        {400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})",
         "ThrottlingException", "Rate exceeded", ErrorKind::throttling},
        {400, R"({"__type":"com.amazonaws.kms#ThrottlingException","Message":"slow"})",
         "ThrottlingException", "slow", ErrorKind::throttling},
        {400, R"({"__type":"LimitExceededException"})", "LimitExceededException", "",
         ErrorKind::throttling},
        {429, "", "", "", ErrorKind::throttling},
        {429, R"({"__type":"SomethingNew"})", "SomethingNew", "", ErrorKind::throttling},
        {500, R"({"__type":"KMSInternalException"})", "KMSInternalException", "",
         ErrorKind::transient},
        {503, R"({"__type":"DependencyTimeoutException","message":"x"})",
         "DependencyTimeoutException", "x", ErrorKind::transient},
        {400, R"({"__type":"RequestTimeoutException"})", "RequestTimeoutException", "",
         ErrorKind::transient},
        {500, "<html>oops</html>", "", "", ErrorKind::transient},
        {502, "", "", "", ErrorKind::transient},
        {504, R"({"__type":"UnknownThing"})", "UnknownThing", "", ErrorKind::transient},
        {400, R"({"__type":"RequestExpired"})", "RequestExpired", "", ErrorKind::clock_skew},
        {403, R"({"__type":"RequestTimeTooSkewed"})", "RequestTimeTooSkewed", "",
         ErrorKind::clock_skew},
        {400,
         R"({"__type":"InvalidSignatureException","message":"Signature expired: )"
         R"(20150830T123600Z is now earlier than 20150830T124100Z )"
         R"json((20150830T124600Z - 5 min.)"})json",
         "InvalidSignatureException",
         "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z "
         "(20150830T124600Z - 5 min.)",
         ErrorKind::clock_skew},
        {400,
         R"({"__type":"InvalidSignatureException","message":"Signature not yet current: )"
         R"(20150830T130000Z is still later than 20150830T124100Z"})",
         "InvalidSignatureException",
         "Signature not yet current: 20150830T130000Z is still later than 20150830T124100Z",
         ErrorKind::clock_skew},
        {400,
         R"({"__type":"InvalidSignatureException","message":"The request signature we )"
         R"(calculated does not match the signature you provided."})",
         "InvalidSignatureException",
         "The request signature we calculated does not match the signature you provided.",
         ErrorKind::fatal},
        {400, R"({"__type":"InvalidSignatureException"})", "InvalidSignatureException", "",
         ErrorKind::fatal},
        {500, R"({"__type":"InvalidSignatureException"})", "InvalidSignatureException", "",
         ErrorKind::transient},
        {429, R"({"__type":"AccessDeniedException"})", "AccessDeniedException", "",
         ErrorKind::throttling},
        {403, R"({"__type":"SignatureDoesNotMatch","message":"expired"})", "SignatureDoesNotMatch",
         "expired", ErrorKind::fatal},
        {400, R"({"__type":"AccessDeniedException","message":"not allowed"})",
         "AccessDeniedException", "not allowed", ErrorKind::fatal},
        {400, R"({"__type":"UnrecognizedClientException"})", "UnrecognizedClientException", "",
         ErrorKind::fatal},
        {400, R"({"__type":"CustomKeyStoreNotFoundException"})", "CustomKeyStoreNotFoundException",
         "", ErrorKind::fatal},
        {400, "", "", "", ErrorKind::fatal},
        {404, "not json", "", "", ErrorKind::fatal},
        {400, R"({"__type":42,"message":["x"]})", "", "", ErrorKind::fatal},
    };
    for (const ErrorCase& c : cases) {
        const KmsError error = parse_error(c.status, c.body);
        EXPECT_EQ(error.status, c.status) << c.body;
        EXPECT_EQ(error.type, c.type) << c.body;
        EXPECT_EQ(error.message, c.message) << c.body;
        EXPECT_EQ(error.kind, c.kind) << c.status << " " << c.body;
    }
}

TEST(KmsError, PrefersLowercaseMessage) {
    const KmsError error = parse_error(400, R"({"Message":"upper","message":"lower"})");
    EXPECT_EQ(error.message, "lower");
}

TEST(KmsError, MakesPeerTextSafeForLogs) {
    const KmsError error = parse_error(
        400, R"({"__type":"Bad\nType","message":"line\r\nbreak)" + std::string(1000, 'x') + "\"}");
    EXPECT_EQ(error.type, "Bad?Type");
    EXPECT_EQ(error.message.substr(0, 12), "line??breakx");
    EXPECT_LE(error.message.size(), 520U);
    EXPECT_EQ(error.kind, ErrorKind::fatal);
}

TEST(KmsError, IgnoresABodyOverItsBound) {
    const std::string body = R"({"__type":"ThrottlingException"})";
    const std::string over = body + std::string(max_error_bytes + 1 - body.size(), ' ');
    EXPECT_EQ(parse_error(400, over).kind, ErrorKind::fatal);
    EXPECT_EQ(parse_error(400, over).type, "");
    EXPECT_EQ(parse_error(503, over).kind, ErrorKind::transient);
    EXPECT_EQ(parse_error(400, over.substr(0, max_error_bytes)).kind, ErrorKind::throttling);
}

HttpResponse response(int status, std::string_view body, std::vector<HttpHeader> headers = {}) {
    HttpResponse out;
    out.status = status;
    out.body.assign(body.begin(), body.end());
    out.headers = std::move(headers);
    return out;
}

TEST(KmsError, FromAResponseUsesTheErrorTypeHeaderWhenTheBodyHasNone) {
    const KmsError from_header = parse_error(response(
        400, "", {{"X-Amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/", false}}));
    EXPECT_EQ(from_header.type, "ThrottlingException");
    EXPECT_EQ(from_header.kind, ErrorKind::throttling);

    const KmsError body_wins =
        parse_error(response(400, R"({"__type":"AccessDeniedException"})",
                             {{"x-amzn-errortype", "ThrottlingException", false}}));
    EXPECT_EQ(body_wins.type, "AccessDeniedException");
    EXPECT_EQ(body_wins.kind, ErrorKind::fatal);

    const KmsError neither = parse_error(response(503, "", {}));
    EXPECT_EQ(neither.type, "");
    EXPECT_EQ(neither.kind, ErrorKind::transient);
}

TEST(KmsError, KindsMapToTheirErrorCodes) {
    EXPECT_EQ(error_code(ErrorKind::throttling), ErrorCode::kms_throttling);
    EXPECT_EQ(error_code(ErrorKind::transient), ErrorCode::kms_transient);
    EXPECT_EQ(error_code(ErrorKind::clock_skew), ErrorCode::kms_clock_skew);
    EXPECT_EQ(error_code(ErrorKind::fatal), ErrorCode::kms_fatal);
}

RC_GTEST_PROP(KmsProperty, ErrorParsingNeverFailsAndStaysBounded, (const std::string& body)) {
    const int status = *rc::gen::inRange(100, 600);
    const KmsError error = parse_error(status, body);
    RC_ASSERT(error.status == status);
    RC_ASSERT(error.type.size() <= 131U);
    RC_ASSERT(error.message.size() <= 515U);
    if (status >= 500) {
        RC_ASSERT(error.kind != ErrorKind::fatal);
    }
}

}  // namespace
}  // namespace ec2seed::kms
