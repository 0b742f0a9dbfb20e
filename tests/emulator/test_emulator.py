"""The emulator on its own: does it hold requests to the rules AWS applies, and does
each fault break what it says? Independent of ec2seed; requests here are made with
http.client and signed with botocore.

Run: /usr/bin/python3 -m unittest test_emulator   (from tests/emulator)
"""

import base64
import http.client
import json
import os
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from emulator_process import RunningEmulator  # noqa: E402

TOKEN = "/latest/api/token"
TTL = "X-aws-ec2-metadata-token-ttl-seconds"
ROLE_PATH = "/latest/meta-data/iam/security-credentials/"


class Imds:
    """A keep-alive IMDS client on one connection."""

    def __init__(self, emu):
        self.connection = http.client.HTTPConnection("127.0.0.1", emu.info["imds_port"],
                                                     timeout=10)

    def call(self, method, path, headers=None):
        self.connection.request(method, path, headers=headers or {})
        response = self.connection.getresponse()
        return response.status, response.read(), response

    def token(self, ttl=60):
        status, body, _ = self.call("PUT", TOKEN, {TTL: str(ttl)})
        assert status == 200, status
        return body.decode()

    def get(self, path, token=None):
        headers = {"X-aws-ec2-metadata-token": token} if token else {}
        return self.call("GET", path, headers)


def signed_kms_request(emu, body, credentials=None, region=None, target=None, host=None):
    """A GenerateRandom request signed by botocore: (headers, body bytes)."""
    secrets = emu.secrets
    credentials = credentials or Credentials(secrets["access_key_id"],
                                             secrets["secret_access_key"],
                                             secrets["session_token"])
    host = host or "127.0.0.1:%d" % emu.info["kms_port"]
    request = AWSRequest(method="POST", url="https://%s/" % host, data=body,
                         headers={"Content-Type": "application/x-amz-json-1.1",
                                  "X-Amz-Target": target or "TrentService.GenerateRandom",
                                  "Host": host})
    SigV4Auth(credentials, "kms", region or emu.region).add_auth(request)
    return dict(request.headers.items()), body


def tls_context(emu):
    context = ssl.create_default_context(cafile=emu.ca)
    return context


def kms_call(emu, headers, body, connection=None, timeout=10):
    own = connection is None
    if own:
        connection = http.client.HTTPSConnection("127.0.0.1", emu.info["kms_port"],
                                                 context=tls_context(emu), timeout=timeout)
    try:
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        if own:
            connection.close()
    return response.status, data, response


def generate_random(emu, count=32, connection=None, **signing):
    body = json.dumps({"NumberOfBytes": count}).encode()
    headers, body = signed_kms_request(emu, body, **signing)
    return kms_call(emu, headers, body, connection)


class ImdsTokenRules(unittest.TestCase):
    def setUp(self):
        self.emu = RunningEmulator().start()
        self.addCleanup(self.emu.stop)
        self.imds = Imds(self.emu)

    def tearDown(self):
        self.assertEqual(self.emu.stop(), 0)

    def test_ttl_bounds(self):
        for ttl, expected in (("0", 400), ("21601", 400), ("x", 400), ("1", 200),
                              ("21600", 200)):
            status, _, response = self.imds.call("PUT", TOKEN, {TTL: ttl})
            self.assertEqual(status, expected, ttl)
            if status == 200:
                self.assertEqual(response.getheader(TTL), ttl)
        status, _, _ = self.imds.call("PUT", TOKEN)
        self.assertEqual(status, 400)

    def test_forwarded_for_is_refused(self):
        status, _, _ = self.imds.call("PUT", TOKEN, {TTL: "60", "X-Forwarded-For": "1.2.3.4"})
        self.assertEqual(status, 403)

    def test_token_required(self):
        self.assertEqual(self.imds.get("/latest/meta-data/mac")[0], 401)
        self.assertEqual(self.imds.get("/latest/meta-data/mac", "bogus")[0], 401)
        token = self.imds.token()
        status, body, _ = self.imds.get("/latest/meta-data/mac", token)
        self.assertEqual(status, 200)
        self.assertRegex(body.decode(), r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")

    def test_token_expires(self):
        token = self.imds.token(ttl=1)
        self.assertEqual(self.imds.get("/latest/meta-data/instance-id", token)[0], 200)
        time.sleep(1.2)
        self.assertEqual(self.imds.get("/latest/meta-data/instance-id", token)[0], 401)

    def test_token_optional(self):
        self.emu.control("POST", "/config", {"imds_mode": "token-optional"})
        self.assertEqual(self.imds.get("/latest/meta-data/instance-id")[0], 200)
        self.assertEqual(self.imds.get("/latest/meta-data/instance-id", "bogus")[0], 401)

    def test_v1_only(self):
        self.emu.control("POST", "/config", {"imds_mode": "v1-only",
                                             "v1_only_token_status": 405})
        self.assertEqual(self.imds.call("PUT", TOKEN, {TTL: "60"})[0], 405)
        self.assertEqual(self.imds.get("/latest/meta-data/local-ipv4")[0], 200)

    def test_unknown_path_and_method(self):
        token = self.imds.token()
        self.assertEqual(self.imds.get("/latest/meta-data/no-such-thing", token)[0], 404)
        self.assertEqual(self.imds.call("GET", TOKEN)[0], 405)

    def test_token_never_logged(self):
        token = self.imds.token()
        self.imds.get("/latest/meta-data/mac", token)
        text = self.emu.log_text()
        self.assertNotIn(token, text)
        self.assertIn("<masked", text)


class ImdsContent(unittest.TestCase):
    def setUp(self):
        self.emu = RunningEmulator().start()
        self.addCleanup(self.emu.stop)
        self.imds = Imds(self.emu)
        self.token = self.imds.token()

    def tearDown(self):
        self.emu.stop()

    def test_signature_is_wrapped_base64(self):
        status, body, _ = self.imds.get("/latest/dynamic/instance-identity/signature",
                                        self.token)
        self.assertEqual(status, 200)
        lines = body.decode().split("\n")
        self.assertGreater(len(lines), 1)
        self.assertTrue(all(len(line) <= 64 for line in lines))
        self.assertEqual(len(base64.b64decode("".join(lines), validate=True)), 256)
        served = self.emu.served_imds_value("/latest/dynamic/instance-identity/signature")
        self.assertEqual(served, body)

    def test_identity_document(self):
        _, body, _ = self.imds.get("/latest/dynamic/instance-identity/document", self.token)
        document = json.loads(body)
        _, instance_id, _ = self.imds.get("/latest/meta-data/instance-id", self.token)
        self.assertEqual(document["instanceId"], instance_id.decode())
        self.assertEqual(document["region"], "us-east-1")
        _, region, _ = self.imds.get("/latest/meta-data/placement/region", self.token)
        self.assertEqual(region, b"us-east-1")

    def test_role_credentials(self):
        status, role, _ = self.imds.get(ROLE_PATH, self.token)
        self.assertEqual(status, 200)
        status, body, _ = self.imds.get(ROLE_PATH + role.decode(), self.token)
        self.assertEqual(status, 200)
        document = json.loads(body)
        self.assertEqual(document["Code"], "Success")
        self.assertEqual(document["Type"], "AWS-HMAC")
        self.assertEqual(document["SecretAccessKey"], self.emu.secrets["secret_access_key"])
        self.assertRegex(document["Expiration"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertNotIn(self.emu.secrets["secret_access_key"], self.emu.log_text())
        self.assertNotIn(self.emu.secrets["secret_access_key"],
                         json.dumps(self.emu.served()))

    def test_head_has_no_body(self):
        status, body, response = self.imds.call("HEAD", "/latest/meta-data/mac",
                                                {"X-aws-ec2-metadata-token": self.token})
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(response.getheader("Content-Length"), "17")
        self.assertEqual(self.imds.get("/latest/meta-data/mac", self.token)[0], 200)

    def test_no_role(self):
        self.emu.control("POST", "/config", {"role": None})
        self.assertEqual(self.imds.get(ROLE_PATH, self.token)[0], 404)

    def test_keep_alive(self):
        for _ in range(3):
            self.assertEqual(self.imds.get("/latest/meta-data/mac", self.token)[0], 200)
        connections = {e["conn"] for e in self.emu.requests("imds")}
        self.assertEqual(len(connections), 1)
        self.assertEqual(len(self.emu.requests("imds")), 4)


class KmsSignature(unittest.TestCase):
    def setUp(self):
        self.emu = RunningEmulator().start()
        self.addCleanup(self.emu.stop)

    def tearDown(self):
        self.assertEqual(self.emu.stop(), 0)

    def test_botocore_signed_request_passes(self):
        status, data, response = generate_random(self.emu, 48)
        self.assertEqual(status, 200, data)
        plaintext = base64.b64decode(json.loads(data)["Plaintext"])
        self.assertEqual(len(plaintext), 48)
        self.assertTrue(response.getheader("x-amzn-RequestId"))
        self.assertEqual(response.getheader("Content-Type"), "application/x-amz-json-1.1")
        served = self.emu.served_kms()
        self.assertEqual(bytes.fromhex(served[-1]["plaintext_hex"]), plaintext)
        self.assertNotIn(plaintext.hex(), self.emu.log_text())
        self.assertNotIn(self.emu.secrets["session_token"], self.emu.log_text())

    def assert_kms_error(self, result, error_type, status=400, message=None):
        code, data, response = result
        self.assertEqual(code, status, data)
        document = json.loads(data)
        self.assertEqual(document["__type"], error_type)
        self.assertTrue(response.getheader("x-amzn-RequestId"))
        if message:
            self.assertIn(message, document["message"])
        return response

    def test_tampered_body_fails(self):
        headers, _ = signed_kms_request(self.emu, b'{"NumberOfBytes": 32}')
        self.assert_kms_error(kms_call(self.emu, headers, b'{"NumberOfBytes": 33}'),
                              "InvalidSignatureException", message="does not match")

    def test_tampered_header_fails(self):
        headers, body = signed_kms_request(self.emu, b'{"NumberOfBytes": 32}')
        headers["X-Amz-Target"] = "TrentService.GenerateRandoM"
        self.assert_kms_error(kms_call(self.emu, headers, body), "InvalidSignatureException")

    def test_wrong_secret_fails(self):
        secrets = self.emu.secrets
        wrong = Credentials(secrets["access_key_id"], "x" * 40, secrets["session_token"])
        self.assert_kms_error(generate_random(self.emu, credentials=wrong),
                              "InvalidSignatureException")

    def test_session_token_checked(self):
        secrets = self.emu.secrets
        no_token = Credentials(secrets["access_key_id"], secrets["secret_access_key"])
        self.assert_kms_error(generate_random(self.emu, credentials=no_token),
                              "UnrecognizedClientException")
        other = Credentials("ASIAOTHEROTHEROTHER1", secrets["secret_access_key"],
                            secrets["session_token"])
        self.assert_kms_error(generate_random(self.emu, credentials=other),
                              "UnrecognizedClientException")

    def test_scope_region_checked(self):
        self.assert_kms_error(generate_random(self.emu, region="eu-west-1"),
                              "InvalidSignatureException", message="valid region")

    def test_missing_authorization(self):
        body = b'{"NumberOfBytes": 32}'
        headers = {"Content-Type": "application/x-amz-json-1.1",
                   "X-Amz-Target": "TrentService.GenerateRandom"}
        self.assert_kms_error(kms_call(self.emu, headers, body),
                              "MissingAuthenticationTokenException")

    def test_number_of_bytes_bounds(self):
        for count in (0, 1025, -1):
            self.assert_kms_error(generate_random(self.emu, count), "ValidationException")
        for count in (1, 1024):
            self.assertEqual(generate_random(self.emu, count)[0], 200)

    def test_unknown_target(self):
        body = b'{"NumberOfBytes": 32}'
        headers, body = signed_kms_request(self.emu, body, target="TrentService.Decrypt")
        self.assert_kms_error(kms_call(self.emu, headers, body), "UnknownOperationException")

    def test_signature_expired_when_server_clock_ahead(self):
        self.emu.control("POST", "/config", {"clock_offset_seconds": 600})
        response = self.assert_kms_error(generate_random(self.emu), "InvalidSignatureException",
                                         message="Signature expired: ")
        self.assertTrue(response.getheader("Date"))

    def test_signature_not_yet_current_when_server_clock_behind(self):
        self.emu.control("POST", "/config", {"clock_offset_seconds": -600})
        response = self.assert_kms_error(generate_random(self.emu), "InvalidSignatureException",
                                         message="Signature not yet current: ")
        server_time = time.mktime(time.strptime(response.getheader("Date"),
                                                "%a, %d %b %Y %H:%M:%S GMT"))
        local = time.mktime(time.gmtime())
        self.assertLess(abs(server_time - (local - 600)), 30)

    def test_skew_inside_window_accepted(self):
        self.emu.control("POST", "/config", {"clock_offset_seconds": 240})
        self.assertEqual(generate_random(self.emu)[0], 200)

    def test_signature_masked_in_log(self):
        headers, body = signed_kms_request(self.emu, b'{"NumberOfBytes": 8}')
        kms_call(self.emu, headers, body)
        signature = headers["Authorization"].rsplit("Signature=", 1)[1]
        text = self.emu.log_text()
        self.assertNotIn(signature, text)
        self.assertIn("Signature=<masked>", text)
        self.assertIn("Credential=" + self.emu.secrets["access_key_id"], text)


class Faults(unittest.TestCase):
    def setUp(self):
        self.emu = RunningEmulator().start()
        self.addCleanup(self.emu.stop)

    def tearDown(self):
        self.emu.stop()

    def test_throttling_first_two_then_success(self):
        self.emu.add_faults({"service": "kms", "kind": "error", "preset": "throttling",
                             "count": 2})
        connection = http.client.HTTPSConnection("127.0.0.1", self.emu.info["kms_port"],
                                                 context=tls_context(self.emu), timeout=10)
        results = [generate_random(self.emu, connection=connection) for _ in range(3)]
        self.assertEqual([r[0] for r in results], [400, 400, 200])
        self.assertEqual(json.loads(results[0][1])["__type"], "ThrottlingException")
        self.assertEqual(len({e["conn"] for e in self.emu.requests("kms")}), 1)

    def test_internal_and_access_denied(self):
        self.emu.add_faults({"service": "kms", "kind": "error", "preset": "internal"},
                            {"service": "kms", "kind": "error", "preset": "access-denied"})
        first = generate_random(self.emu)
        second = generate_random(self.emu)
        self.assertEqual((first[0], json.loads(first[1])["__type"]),
                         (500, "KMSInternalException"))
        self.assertEqual((second[0], json.loads(second[1])["__type"]),
                         (400, "AccessDeniedException"))

    def test_after_skips_matching_requests(self):
        self.emu.add_faults({"service": "imds", "kind": "status", "status": 503,
                             "path": "/latest/meta-data/*", "after": 1, "count": 1})
        imds = Imds(self.emu)
        token = imds.token()
        codes = [imds.get("/latest/meta-data/mac", token)[0] for _ in range(3)]
        self.assertEqual(codes, [200, 503, 200])

    def test_body_faults(self):
        expectations = {
            "wrong-length": lambda d: len(base64.b64decode(json.loads(d)["Plaintext"])) == 31,
            "invalid-json": lambda d: self._not_json(d),
            "invalid-base64": lambda d: self._not_base64(json.loads(d)["Plaintext"]),
            "all-zero": lambda d: base64.b64decode(json.loads(d)["Plaintext"]) == bytes(32),
            "huge": lambda d: len(d) == 10 * 1024 * 1024,
        }
        for how, check in expectations.items():
            self.emu.add_faults({"service": "kms", "kind": "body", "body": how})
            status, data, _ = generate_random(self.emu, 32)
            self.assertEqual(status, 200, how)
            self.assertTrue(check(data), how)
        broken = [s for s in self.emu.served_kms() if s["broken"]]
        self.assertEqual({s["how"] for s in broken}, {"wrong-length", "all-zero"})

    @staticmethod
    def _not_json(data):
        try:
            json.loads(data)
        except ValueError:
            return True
        return False

    @staticmethod
    def _not_base64(text):
        try:
            base64.b64decode(text, validate=True)
        except ValueError:
            return True
        return False

    def test_repeat_serves_previous_bytes(self):
        _, first, _ = generate_random(self.emu, 16)
        self.emu.add_faults({"service": "kms", "kind": "body", "body": "repeat"})
        _, second, _ = generate_random(self.emu, 16)
        self.assertEqual(json.loads(first)["Plaintext"], json.loads(second)["Plaintext"])

    def test_truncated_body(self):
        self.emu.add_faults({"service": "kms", "kind": "body", "body": "truncated"})
        with self.assertRaises(http.client.IncompleteRead):
            generate_random(self.emu, 64)

    def test_latency_and_drip(self):
        self.emu.add_faults({"service": "imds", "kind": "latency", "seconds": 0.5,
                             "method": "PUT"})
        imds = Imds(self.emu)
        started = time.monotonic()
        token = imds.token()
        self.assertGreaterEqual(time.monotonic() - started, 0.5)
        self.emu.add_faults({"service": "imds", "kind": "drip", "interval": 0.05,
                             "chunk": 16, "path": "/latest/meta-data/instance-id"})
        started = time.monotonic()
        status, body, _ = imds.get("/latest/meta-data/instance-id", token)
        self.assertEqual(status, 200)
        self.assertTrue(body.startswith(b"i-"))
        self.assertGreaterEqual(time.monotonic() - started, 0.2)

    def test_hang_and_close(self):
        self.emu.add_faults({"service": "imds", "kind": "hang", "seconds": 5, "method": "PUT"})
        connection = http.client.HTTPConnection("127.0.0.1", self.emu.info["imds_port"],
                                                timeout=0.5)
        connection.request("PUT", TOKEN, headers={TTL: "60"})
        with self.assertRaises(socket.timeout):
            connection.getresponse()
        self.emu.add_faults({"service": "imds", "kind": "close", "method": "PUT"})
        imds = Imds(self.emu)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            imds.call("PUT", TOKEN, {TTL: "60"})

    def test_expire_token_mid_run(self):
        self.emu.add_faults({"service": "imds", "kind": "expire-token",
                             "path": "/latest/meta-data/*", "after": 1})
        imds = Imds(self.emu)
        token = imds.token()
        self.assertEqual(imds.get("/latest/meta-data/mac", token)[0], 200)
        self.assertEqual(imds.get("/latest/meta-data/mac", token)[0], 401)
        self.assertEqual(imds.get("/latest/meta-data/mac", token)[0], 401)
        self.assertEqual(imds.get("/latest/meta-data/mac", imds.token())[0], 200)

    def test_wrong_host_certificate(self):
        self.emu.add_faults({"service": "kms", "kind": "wrong-host-cert"})
        with self.assertRaises(ssl.SSLCertVerificationError):
            generate_random(self.emu)
        self.assertEqual(generate_random(self.emu)[0], 200)
        presented = [e for e in self.emu.log() if e.get("cert") == "wrong-host"]
        self.assertEqual(len(presented), 1)

    def test_unknown_fault_rejected(self):
        with self.assertRaises(RuntimeError):
            self.emu.add_faults({"service": "kms", "kind": "explode"})


class Startup(unittest.TestCase):
    def test_refuses_connections_at_first(self):
        with RunningEmulator(scenario={"refuse_seconds": {"imds": 1.0}}) as emu:
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", emu.info["imds_port"]), timeout=2)
            time.sleep(1.3)
            socket.create_connection(("127.0.0.1", emu.info["imds_port"]), timeout=2).close()

    def test_scenario_file_faults_and_mode(self):
        scenario = {"imds_mode": "v1-only", "region": "eu-central-1", "role": None,
                    "faults": [{"service": "imds", "kind": "status", "status": 503,
                                "path": "/latest/meta-data/mac", "count": 2}]}
        with RunningEmulator(scenario=scenario) as emu:
            self.assertEqual(emu.region, "eu-central-1")
            imds = Imds(emu)
            codes = [imds.get("/latest/meta-data/mac")[0] for _ in range(3)]
            self.assertEqual(codes, [503, 503, 200])
            self.assertEqual(imds.get(ROLE_PATH)[0], 404)

    def test_binds_loopback_only_and_stops_on_sigterm(self):
        emu = RunningEmulator().start()
        for key in ("imds_port", "kms_port", "control_port"):
            with socket.socket() as probe:
                probe.settimeout(1)
                self.assertEqual(probe.connect_ex(("127.0.0.1", emu.info[key])), 0)
        with open("/proc/net/tcp", encoding="ascii") as table:
            listening = table.read()
        for key in ("imds_port", "kms_port", "control_port"):
            local = "0100007F:%04X" % emu.info[key]
            self.assertIn(local, listening)
            self.assertNotIn("00000000:%04X" % emu.info[key], listening)
        self.assertEqual(emu.stop(), 0)

    def test_cert_carries_extra_hosts(self):
        import tempfile
        tls_dir = tempfile.mkdtemp()
        with RunningEmulator(args=["--cert-host", "10.0.2.100"], tls_dir=tls_dir) as emu:
            context = ssl.create_default_context(cafile=emu.ca)
            context.check_hostname = False
            with socket.create_connection(("127.0.0.1", emu.info["kms_port"])) as raw:
                with context.wrap_socket(raw) as tls:
                    names = [v for _, v in tls.getpeercert()["subjectAltName"]]
        self.assertIn("10.0.2.100", names)
        self.assertIn("127.0.0.1", names)


if __name__ == "__main__":
    unittest.main()
