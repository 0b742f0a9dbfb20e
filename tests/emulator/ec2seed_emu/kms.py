"""AWS KMS GenerateRandom over HTTPS, with SigV4 verified by botocore.

The signature is never judged by ec2seed's code: the request as received is
rebuilt as a botocore AWSRequest holding exactly the headers the client says it
signed, botocore's SigV4Auth computes the signature the known credentials give at
the request's own X-Amz-Date, and the two are compared.

Errors are answered as KMS answers them: status 400 (500 for internal errors),
Content-Type application/x-amz-json-1.1, x-amzn-RequestId, and a JSON body
{"__type": ..., "message": ...}.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import threading
import uuid

from . import faults as faults_module
from .server import Response, ServiceHandler

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET = "TrentService.GenerateRandom"
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"

# SigV4: a request is valid for 5 minutes either side of the server's clock.
SIGNATURE_WINDOW = datetime.timedelta(minutes=5)

# KMS GenerateRandom: NumberOfBytes is 1..1024.
MIN_BYTES, MAX_BYTES = 1, 1024

_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})$")


class KmsError(Exception):
    def __init__(self, status, error_type, message, verdict, extra_headers=()):
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.verdict = verdict
        self.extra_headers = list(extra_headers)


def _invalid_signature(message, verdict, extra_headers=()):
    return KmsError(400, "InvalidSignatureException", message, verdict, extra_headers)


def _json_response(status, document, request_id, verdict, extra_headers=(), raw=None):
    body = raw if raw is not None else json.dumps(document).encode("utf-8")
    headers = [("x-amzn-RequestId", request_id), ("Content-Type", CONTENT_TYPE)]
    headers.extend(extra_headers)
    return Response(status, body, headers, verdict=verdict)


def error_response(status, error_type, message, request_id, verdict, extra_headers=()):
    return _json_response(status, {"__type": error_type, "message": message}, request_id,
                          verdict, extra_headers)


def preload_botocore():
    """Imports botocore's signer (slow: about half a second) ahead of the first
    KMS request; the import lock makes a request that comes earlier wait for it."""
    import botocore.auth  # noqa: F401
    import botocore.awsrequest  # noqa: F401
    import botocore.credentials  # noqa: F401


class SignatureVerifier:
    """Checks a KMS request's SigV4 signature the way AWS does, with botocore."""

    def __init__(self, credentials, region, clock):
        self._credentials = credentials
        self._region = region
        self._clock = clock

    def verify(self, request, scheme="https"):
        """Returns nothing when the request is signed correctly; raises KmsError."""
        headers = request.headers
        authorization = headers.get("Authorization")
        if authorization is None:
            raise KmsError(400, "MissingAuthenticationTokenException",
                           "Missing Authentication Token", "auth-missing")
        match = _AUTH_RE.match(authorization.strip())
        if match is None:
            raise KmsError(400, "IncompleteSignatureException",
                           "Authorization header requires 'Credential', 'Signature' and "
                           "'SignedHeaders' parameters.", "auth-malformed")

        access_key, scope_date, region, service, terminator = self._scope(match["credential"])
        if access_key != self._credentials["access_key_id"]:
            raise KmsError(400, "UnrecognizedClientException",
                           "The security token included in the request is invalid.",
                           "unknown-access-key")
        token = headers.get("X-Amz-Security-Token")
        expected_token = self._credentials.get("session_token") or None
        if token != expected_token:
            raise KmsError(400, "UnrecognizedClientException",
                           "The security token included in the request is invalid.",
                           "bad-security-token")
        if region != self._region:
            raise _invalid_signature("Credential should be scoped to a valid region. ",
                                     "scope-region")
        if service != "kms":
            raise _invalid_signature("Credential should be scoped to correct service: 'kms'. ",
                                     "scope-service")
        if terminator != "aws4_request":
            raise _invalid_signature("Credential should be scoped with a valid terminator: "
                                     "'aws4_request', not '%s'. " % terminator, "scope-terminator")

        amz_date = headers.get("X-Amz-Date")
        signed = match["signature"]
        signed_names = match["signed"].split(";")
        self._check_signed_names(signed_names, amz_date)
        when = self._check_date(amz_date, scope_date)

        expected = self._expected_signature(request, signed_names, amz_date, scheme)
        if not hmac.compare_digest(expected, signed):
            raise _invalid_signature(
                "The request signature we calculated does not match the signature you "
                "provided. Check your AWS Secret Access Key and signing method. Consult the "
                "service documentation for details.", "signature-mismatch")
        return when

    @staticmethod
    def _scope(credential):
        parts = credential.split("/")
        if len(parts) != 5:
            raise KmsError(400, "IncompleteSignatureException",
                           "Credential should have 5 slash-separated parts", "scope-malformed")
        return parts

    @staticmethod
    def _check_signed_names(signed_names, amz_date):
        if "host" not in signed_names:
            raise _invalid_signature("'Host' must be a 'SignedHeader' in the AWS "
                                     "Authorization.", "host-unsigned")
        if amz_date is None:
            raise KmsError(400, "IncompleteSignatureException",
                           "Authorization header requires existence of either a "
                           "'X-Amz-Date' or a 'Date' header.", "date-missing")
        if "x-amz-date" not in signed_names:
            raise _invalid_signature("'X-Amz-Date' must be a 'SignedHeader' in the AWS "
                                     "Authorization.", "date-unsigned")
        if signed_names != sorted(signed_names):
            raise _invalid_signature("SignedHeaders must be sorted.", "signed-unsorted")

    def _check_date(self, amz_date, scope_date):
        try:
            when = datetime.datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            raise KmsError(400, "IncompleteSignatureException",
                           "Date must be in ISO-8601 'basic format'. Got '%s'." % amz_date,
                           "date-malformed") from None
        if scope_date != amz_date[:8]:
            raise _invalid_signature("Date in Credential scope does not match YYYYMMDD from "
                                     "ISO-8601 version of date from HTTP: '%s' != '%s', from "
                                     "'%s'." % (scope_date, amz_date[:8], amz_date),
                                     "scope-date")

        now = self._clock.utcnow().replace(microsecond=0)
        stamp = now.strftime(SIGV4_TIMESTAMP)
        date_header = [("Date", self._clock.http_date())]
        if when < now - SIGNATURE_WINDOW:
            raise _invalid_signature(
                "Signature expired: %s is now earlier than %s (%s - 5 min.)"
                % (amz_date, (now - SIGNATURE_WINDOW).strftime(SIGV4_TIMESTAMP), stamp),
                "signature-expired", date_header)
        if when > now + SIGNATURE_WINDOW:
            raise _invalid_signature(
                "Signature not yet current: %s is still later than %s (%s + 5 min.)"
                % (amz_date, (now + SIGNATURE_WINDOW).strftime(SIGV4_TIMESTAMP), stamp),
                "signature-not-yet-current", date_header)
        return when

    def _expected_signature(self, request, signed_names, amz_date, scheme):
        wanted = {}
        for name in signed_names:
            values = request.headers.get_all(name)
            if not values:
                raise _invalid_signature("The request signature we calculated does not match "
                                         "the signature you provided. (signed header '%s' is "
                                         "absent)" % name, "signed-header-absent")
            wanted[name] = ",".join(values)

        # Imported here: the emulator announces itself before botocore has loaded
        # (preload_botocore() runs in the background), which saves every test a
        # fraction of a second.
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        url = "%s://%s%s" % (scheme, request.headers.get("Host", ""), request.path)
        aws_request = AWSRequest(method=request.method, url=url, data=request.body,
                                 headers=wanted)
        aws_request.context["timestamp"] = amz_date
        credentials = Credentials(self._credentials["access_key_id"],
                                  self._credentials["secret_access_key"],
                                  self._credentials.get("session_token") or None)
        signer = SigV4Auth(credentials, "kms", self._region)

        if signer.signed_headers(signer.headers_to_sign(aws_request)) != ";".join(signed_names):
            raise _invalid_signature("The request signature we calculated does not match the "
                                     "signature you provided. (botocore would not sign the "
                                     "same header list)", "signed-headers-unsupported")
        content_sha = request.headers.get("X-Amz-Content-SHA256")
        if content_sha is not None and content_sha != hashlib.sha256(request.body).hexdigest():
            raise _invalid_signature("The provided 'x-amz-content-sha256' header does not match "
                                     "what was computed.", "content-sha-mismatch")

        canonical = signer.canonical_request(aws_request)
        return signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)


class KmsService:
    """State shared by all KMS connections: the last reply (for the repeat fault)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.previous = None


class KmsHandler(ServiceHandler):
    """Answers POST / with X-Amz-Target TrentService.GenerateRandom."""

    log_body = True  # {"NumberOfBytes": N}: the request body holds no secret

    def answer(self, request):
        request_id = str(uuid.uuid4())
        try:
            number_of_bytes = self._check(request)
        except KmsError as error:
            return error_response(error.status, error.error_type, error.message, request_id,
                                  error.verdict, error.extra_headers)

        # Faults apply to requests that KMS would have accepted.
        fault = self.app.faults.take("kms", request.method, request.path.split("?", 1)[0])
        kind = fault["kind"] if fault else None
        if kind == "error":
            status, error_type, message = faults_module.error_of(fault)
            response = error_response(status, error_type, message, request_id,
                                      "fault:error")
        elif kind == "status":
            response = _json_response(fault["status"], None, request_id, "fault:status",
                                      raw=fault.get("body", "").encode("utf-8"))
        elif kind == "body":
            response = self._broken(number_of_bytes, fault["body"], request_id)
        elif kind in ("hang", "close"):
            # Nothing is delivered, so nothing is generated or recorded as served.
            response = _json_response(200, None, request_id, "ok", raw=b"")
        else:
            response = self._generate(number_of_bytes, request_id)
        if fault is not None:
            response.fault = fault
            if response.verdict == "ok":
                response.verdict = "fault:%s" % kind
        return response

    def _check(self, request):
        if request.method != "POST" or request.path != "/":
            raise KmsError(404, "UnknownOperationException", "", "unknown-path")
        self.app.verifier.verify(request)

        if request.headers.get("X-Amz-Target") != TARGET:
            raise KmsError(400, "UnknownOperationException", "", "unknown-target")
        content_type = request.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != CONTENT_TYPE:
            raise KmsError(400, "SerializationException", "Start of structure or map found "
                           "where not expected", "content-type")
        try:
            document = json.loads(request.body.decode("utf-8") or "{}")
        except (ValueError, UnicodeDecodeError):
            raise KmsError(400, "SerializationException", "Unexpected token in request body",
                           "body-json") from None
        if not isinstance(document, dict):
            raise KmsError(400, "SerializationException", "Start of list found where not "
                           "expected", "body-json")
        allowed = {"NumberOfBytes", "CustomKeyStoreId", "Recipient"}
        unknown = set(document) - allowed
        if unknown:
            raise KmsError(400, "SerializationException", "Unknown member %s"
                           % sorted(unknown)[0], "body-member")

        count = document.get("NumberOfBytes")
        # KMS GenerateRandom: NumberOfBytes is 1..1024.
        if not isinstance(count, int) or isinstance(count, bool) or \
                not MIN_BYTES <= count <= MAX_BYTES:
            raise KmsError(400, "ValidationException",
                           "1 validation error detected: Value '%s' at 'numberOfBytes' failed "
                           "to satisfy constraint: Member must have value less than or equal "
                           "to 1024 and greater than or equal to 1" % count, "number-of-bytes")
        return count

    def _generate(self, count, request_id):
        plaintext = os.urandom(count)
        with self.app.kms.lock:
            self.app.kms.previous = plaintext
        self.app.served.record(service="kms", request_id=request_id, conn=self.conn,
                               plaintext_hex=plaintext.hex(), broken=False)
        return _json_response(200, {"Plaintext": base64.b64encode(plaintext).decode()},
                              request_id, "ok")

    def _broken(self, count, how, request_id):
        plaintext = None
        raw = None
        if how == "wrong-length":
            plaintext = os.urandom(count - 1 if count > 1 else 2)
        elif how == "all-zero":
            plaintext = bytes(count)
        elif how == "repeat":
            with self.app.kms.lock:
                plaintext = self.app.kms.previous or os.urandom(count)
        elif how == "invalid-json":
            raw = b'{"Plaintext": "' + base64.b64encode(os.urandom(count))[:16]
        elif how == "invalid-base64":
            raw = b'{"Plaintext": "!!not*base64' + b"%" * 8 + b'"}'
        elif how == "empty":
            raw = b""
        elif how == "huge":
            filler = 10 * 1024 * 1024 - len('{"Plaintext": ""}')
            raw = b'{"Plaintext": "' + b"A" * filler + b'"}'
        else:  # truncated: a good reply, cut short at delivery
            plaintext = os.urandom(count)
        if plaintext is not None:
            raw = json.dumps({"Plaintext": base64.b64encode(plaintext).decode()}).encode()
            self.app.served.record(service="kms", request_id=request_id, conn=self.conn,
                                   plaintext_hex=plaintext.hex(), broken=True, how=how)
        return _json_response(200, None, request_id, "fault:body", raw=raw)
