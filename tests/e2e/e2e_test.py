"""End-to-end: the real ec2seed binary against the IMDS + KMS emulator.

Each case starts an emulator (tests/emulator) with a scenario, runs
`ec2seed --sink file:PATH --report json -v` against it over loopback, and checks
the exit status, the JSON report, the file sink and the emulator's request log.
Expected outcomes follow the seeding state machine's specification: retried and
recovered, fallen back, or ended within the deadline as partial or failed, with
phase-1 entropy kept when phase 2 fails and nothing credited that the emulator
served broken.

Environment (set by ctest, see CMakeLists.txt):
  EC2SEED_BINARY     the ec2seed executable
  EC2SEED_TRANSPORT  curl | native
Run one class by hand:
  EC2SEED_BINARY=build/gcc/app/ec2seed EC2SEED_TRANSPORT=native \
      /usr/bin/python3 -m unittest -v e2e_test.KmsFaults        (from tests/e2e)
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "emulator"))

from emulator_process import RunningEmulator, clean_environment  # noqa: E402

BINARY = os.environ.get("EC2SEED_BINARY", "")
TRANSPORT = os.environ.get("EC2SEED_TRANSPORT", "curl")

EXIT_COMPLETE, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3

# Phase-1 sources and the IMDS path each comes from.
METADATA = {
    "imds/instance-id": "/latest/meta-data/instance-id",
    "imds/local-ipv4": "/latest/meta-data/local-ipv4",
    "imds/mac": "/latest/meta-data/mac",
    "imds/signature": "/latest/dynamic/instance-identity/signature",
}
DEFAULT_CREDITS = {"imds/instance-id": 0, "imds/local-ipv4": 0, "imds/mac": 24,
                   "imds/signature": 0}
KMS_SOURCE = "kms/generate-random"
TOKEN_PATH = "/latest/api/token"

# How far past --deadline a run may end (process start, report, slow CI).
DEADLINE_SLACK = 3.0


class Run:
    """One ec2seed run: exit status, output, the report and the sink's lines."""

    def __init__(self, returncode, stdout, stderr, sink_lines, record, elapsed):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.sink = sink_lines
        self.record = record
        self.elapsed = elapsed
        try:
            self.report = json.loads(stdout)
        except ValueError:
            self.report = None

    def sink_for(self, source):
        return [line for line in self.sink if line["source"] == source]

    def sink_bytes(self, source):
        return b"".join(bytes.fromhex(line["bytes_hex"]) for line in self.sink_for(source))

    def report_sources(self, source):
        return [s for s in self.report["sources"] if s["source"] == source]

    def describe(self):
        return "exit %s after %.1fs\nstdout: %s\nstderr:\n%s" % (
            self.returncode, self.elapsed, self.stdout[:4000], self.stderr[-6000:])


class EndToEnd(unittest.TestCase):
    """Starts an emulator per test; run() runs ec2seed against it."""

    scenario = {}

    def setUp(self):
        if not BINARY or not os.access(BINARY, os.X_OK):
            self.fail("EC2SEED_BINARY does not name an executable: %r" % BINARY)
        self.work = tempfile.mkdtemp(prefix="ec2seed-e2e-")
        self._emu = None

    def tearDown(self):
        if self._emu is not None:
            self.assertEqual(self._emu.stop(), 0, "the emulator did not stop cleanly")

    @property
    def emu(self):
        """The emulator, started with the class's scenario on first use."""
        if self._emu is None:
            self._emu = RunningEmulator(scenario=self.scenario).start()
            self.addCleanup(self._emu.stop)
        return self._emu

    def restart_emulator(self, scenario):
        """Runs this test against an emulator with another scenario."""
        if self._emu is not None:
            self._emu.stop()
        self._emu = RunningEmulator(scenario=scenario).start()
        self.addCleanup(self._emu.stop)

    def run_ec2seed(self, *extra, deadline=15, env=None, kms=True, record=True,
                    report="json", imds_flag=True):
        sink = os.path.join(self.work, "sink-%d.jsonl" % time.monotonic_ns())
        record_path = os.path.join(self.work, "record-%d.txt" % time.monotonic_ns())
        command = [BINARY, "--ca-bundle", self.emu.ca,
                   "--transport", TRANSPORT, "--sink", "file:" + sink, "--report", report,
                   "--deadline", str(deadline), "-v"]
        if imds_flag:
            command += ["--imds-endpoint", self.emu.imds_url]
        if kms:
            command += ["--kms-endpoint", self.emu.kms_url]
        if record:
            command += ["--record", record_path]
        command += list(extra)

        started = time.monotonic()
        try:
            completed = subprocess.run(command, capture_output=True, text=True,
                                       env=clean_environment(env), timeout=deadline + 30)
        except subprocess.TimeoutExpired as expired:
            self.fail("ec2seed ran %ss past its %ss deadline: %s"
                      % (30, deadline, (expired.stderr or b"")[-3000:]))
        elapsed = time.monotonic() - started

        sink_lines = []
        if os.path.exists(sink):
            with open(sink, encoding="utf-8") as f:
                sink_lines = [json.loads(line) for line in f if line.strip()]
        record_text = None
        if os.path.exists(record_path):
            with open(record_path, encoding="utf-8", errors="replace") as f:
                record_text = f.read()
        run = Run(completed.returncode, completed.stdout, completed.stderr, sink_lines,
                  record_text, elapsed)
        if report == "json":
            self.assertIsNotNone(run.report, "no JSON report\n" + run.describe())
            self.assert_report_consistent(run)
        self.assert_no_secrets(run)
        self.assertLess(run.elapsed, deadline + DEADLINE_SLACK,
                        "the run outlived its deadline\n" + run.describe())
        return run

    # -- checks shared by every case ---------------------------------------------

    def assert_report_consistent(self, run):
        """Exit status, outcome, report sources and sink lines tell one story."""
        report = run.report
        expected_exit = {"complete": EXIT_COMPLETE, "partial": EXIT_PARTIAL,
                         "failed": EXIT_FAILED}[report["outcome"]]
        self.assertEqual(run.returncode, expected_exit, run.describe())
        for key in ("outcome", "sources", "kms", "errors"):
            self.assertIn(key, report)
        if report["outcome"] == "failed":
            self.assertEqual(run.sink, [], "a failed run added entropy\n" + run.describe())
        else:
            self.assertTrue(run.sink, "outcome %s with nothing added" % report["outcome"])

        for line in run.sink:
            self.assertLessEqual(line["credit_bits"], 8 * len(bytes.fromhex(line["bytes_hex"])),
                                 "more credit than 8 bits a byte")
        added_sources = {line["source"] for line in run.sink}
        for source in added_sources:
            entries = [s for s in report["sources"] if s["source"] == source and s["applied"]]
            self.assertTrue(entries, "%s in the sink but not in the report" % source)
            self.assertEqual(sum(s["bytes"] for s in entries),
                             len(run.sink_bytes(source)), source)
            self.assertEqual(sum(s["credit_bits"] for s in entries),
                             sum(line["credit_bits"] for line in run.sink_for(source)), source)
        self.assertEqual(report["kms"]["bytes"], len(run.sink_bytes(KMS_SOURCE)))

    def assert_no_secrets(self, run):
        """No secret value in stderr, the report or the recording."""
        secrets = dict(self.emu.secrets)
        for index, token in enumerate(self.emu.imds_tokens()):
            secrets["imds token %d" % index] = token
        for entry in self.emu.served_kms():
            plaintext = bytes.fromhex(entry["plaintext_hex"])
            if not any(plaintext):
                continue  # all zero (a broken reply) holds no secret; a recording keeps it
            secrets["plaintext %s hex" % entry["request_id"]] = plaintext.hex()
            secrets["plaintext %s HEX" % entry["request_id"]] = plaintext.hex().upper()
            secrets["plaintext %s base64" % entry["request_id"]] = \
                base64.b64encode(plaintext).decode()
            if len(plaintext) >= 16:
                secrets["plaintext %s prefix" % entry["request_id"]] = plaintext[:16].hex()
                secrets["plaintext %s base64 prefix" % entry["request_id"]] = \
                    base64.b64encode(plaintext[:15]).decode()
        outputs = {"stderr": run.stderr, "report": run.stdout, "record": run.record or ""}
        for where, text in outputs.items():
            for name, value in secrets.items():
                if name == "access_key_id" or not value:
                    continue  # an access key id is not secret; AWS logs it too
                self.assertNotIn(value, text, "%s leaked into %s" % (name, where))

    def assert_metadata_added(self, run, sources=tuple(METADATA), credits=None):
        """Each metadata item in the sink is SHA-1 of the value served, trimmed."""
        credits = credits or DEFAULT_CREDITS
        for source in sources:
            lines = run.sink_for(source)
            self.assertEqual(len(lines), 1, "%s: %r\n%s" % (source, lines, run.describe()))
            served = self.emu.served_imds_value(METADATA[source])
            self.assertIsNotNone(served, source)
            item = served.strip()
            if source == "imds/signature":
                item = base64.b64decode(b"".join(item.split()), validate=True)
            self.assertEqual(lines[0]["bytes_hex"], hashlib.sha1(item).hexdigest(), source)
            self.assertEqual(lines[0]["credit_bits"], credits[source], source)

    def assert_kms_bytes_are_the_good_ones_served(self, run):
        """The KMS bytes added are exactly what the emulator served intact, in order,
        at 8 bits a byte; nothing it served broken is among them."""
        good = [bytes.fromhex(e["plaintext_hex"]) for e in self.emu.served_kms()
                if not e["broken"]]
        self.assertEqual(run.sink_bytes(KMS_SOURCE), b"".join(good), run.describe())
        for line in run.sink_for(KMS_SOURCE):
            self.assertEqual(line["credit_bits"], 8 * len(bytes.fromhex(line["bytes_hex"])))
        added = run.sink_bytes(KMS_SOURCE).hex()
        good_hex = [g.hex() for g in good]
        for entry in self.emu.served_kms():
            if entry["broken"] and entry["plaintext_hex"]:
                # A repeated reply is broken the second time only: the bytes may be
                # in the sink once, from the first (good) reply.
                self.assertEqual(added.count(entry["plaintext_hex"]),
                                 good_hex.count(entry["plaintext_hex"]),
                                 "bytes served broken (%s) were added" % entry.get("how"))
        good_ids = [e["request_id"] for e in self.emu.served_kms() if not e["broken"]]
        for request_id in good_ids:
            self.assertIn(request_id, run.report["kms"]["request_ids"])

    def assert_complete(self, run, kms_bytes=1024):
        self.assertEqual(run.report["outcome"], "complete", run.describe())
        self.assertEqual(run.returncode, EXIT_COMPLETE)
        self.assert_metadata_added(run)
        self.assert_kms_bytes_are_the_good_ones_served(run)
        self.assertEqual(len(run.sink_bytes(KMS_SOURCE)), kms_bytes)

    def assert_phase1_kept_phase2_failed(self, run):
        self.assertEqual(run.report["outcome"], "partial", run.describe())
        self.assertEqual(run.returncode, EXIT_PARTIAL)
        self.assert_metadata_added(run)
        self.assert_kms_bytes_are_the_good_ones_served(run)
        self.assertEqual(run.sink_for(KMS_SOURCE), [])
        self.assertTrue(run.report["errors"], "a partial run reports no error")

    def kms_requests(self):
        return self.emu.requests("kms")

    def imds_requests(self, path=None):
        return [r for r in self.emu.requests("imds") if path is None or r["path"] == path]

    @staticmethod
    def has_token(request):
        return any(name.lower() == "x-aws-ec2-metadata-token" for name, _ in request["headers"])


# --------------------------------------------------------------------------------
# The happy path


class HappyPath(EndToEnd):
    def test_complete_run_adds_exactly_what_was_served(self):
        run = self.run_ec2seed()
        self.assert_complete(run)
        self.assertEqual(run.report["kms"]["calls"], 1)
        self.assertEqual(run.report["kms"]["request_ids"],
                         [e["request_id"] for e in self.emu.served_kms()])
        self.assertEqual(run.report["errors"], [])
        self.assertEqual(run.report.get("region"), "us-east-1")

    def test_imdsv2_token_on_every_metadata_request(self):
        self.run_ec2seed()
        puts = self.imds_requests(TOKEN_PATH)
        self.assertEqual(len(puts), 1)
        self.assertEqual(puts[0]["method"], "PUT")
        headers = {name.lower(): value for name, value in puts[0]["headers"]}
        self.assertEqual(headers.get("x-aws-ec2-metadata-token-ttl-seconds"), "21600")
        self.assertNotIn("x-forwarded-for", headers)
        gets = [r for r in self.imds_requests() if r["method"] == "GET"]
        self.assertTrue(gets)
        for request in gets:
            self.assertTrue(self.has_token(request), request["path"])
            self.assertEqual(request["status"], 200, request["path"])

    def test_no_https_before_phase1_is_done(self):
        self.run_ec2seed()
        phase1_ends = [r["end"] for r in self.imds_requests() if r["path"] in METADATA.values()]
        self.assertEqual(len(phase1_ends), 4)
        kms_opens = [e["time"] for e in self.emu.events("kms", "conn-open")]
        self.assertTrue(kms_opens)
        self.assertGreater(min(kms_opens), max(phase1_ends))

    def test_kms_request_as_aws_expects(self):
        self.run_ec2seed()
        requests = self.kms_requests()
        self.assertEqual(len(requests), 1)
        self.assertEqual(requests[0]["verdict"], "ok")
        headers = {name.lower(): value for name, value in requests[0]["headers"]}
        self.assertEqual(headers["x-amz-target"], "TrentService.GenerateRandom")
        self.assertEqual(headers["content-type"], "application/x-amz-json-1.1")
        self.assertIn("/us-east-1/kms/aws4_request", headers["authorization"])

    def test_region_from_imds_and_text_report(self):
        self.restart_emulator({"region": "eu-west-3"})
        run = self.run_ec2seed(report="text")
        self.assertEqual(run.returncode, EXIT_COMPLETE, run.describe())
        self.assertIn("complete", run.stdout)
        self.assertIn("eu-west-3", run.stdout)
        self.assertIn("/eu-west-3/kms/aws4_request",
                      json.dumps(self.kms_requests()[0]["headers"]))

    def test_region_override_wins(self):
        # KMS here serves us-east-1 only: a request scoped to the flag's region fails.
        run = self.run_ec2seed("--region", "eu-west-3")
        self.assertEqual([r["verdict"] for r in self.kms_requests()][:1], ["scope-region"])
        self.assert_phase1_kept_phase2_failed(run)

    def test_region_from_identity_document(self):
        self.restart_emulator({"region": "ap-south-2",
                               "faults": [{"service": "imds", "kind": "status", "status": 404,
                                           "path": "/latest/meta-data/placement/region",
                                           "count": -1}]})
        run = self.run_ec2seed()
        self.assert_complete(run)
        self.assertIn("/ap-south-2/kms/aws4_request",
                      json.dumps(self.kms_requests()[0]["headers"]))

    def test_environment_credentials_need_no_role(self):
        self.restart_emulator({"role": None})
        secrets = self.emu.secrets
        run = self.run_ec2seed(env={"AWS_ACCESS_KEY_ID": secrets["access_key_id"],
                                    "AWS_SECRET_ACCESS_KEY": secrets["secret_access_key"],
                                    "AWS_SESSION_TOKEN": secrets["session_token"]})
        self.assert_complete(run)

    def test_number_of_bytes_and_custom_key_store_sent(self):
        self.run_ec2seed("--kms-bytes", "100", "--custom-key-store-id", "cks-1234567890abcdef0")
        bodies = [json.loads(r["body"]) for r in self.kms_requests()]
        self.assertEqual(bodies, [{"NumberOfBytes": 100,
                                   "CustomKeyStoreId": "cks-1234567890abcdef0"}])

    def test_imds_endpoint_from_environment(self):
        run = self.run_ec2seed(imds_flag=False,
                               env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": self.emu.imds_url})
        self.assert_complete(run)
        self.assertTrue(self.imds_requests(), "the IMDS endpoint variable was not used")

    def test_region_from_environment_wins_over_imds(self):
        # KMS here serves us-east-1 only: a request scoped to AWS_REGION's region fails.
        run = self.run_ec2seed(env={"AWS_REGION": "eu-north-1"})
        self.assertEqual([r["verdict"] for r in self.kms_requests()][:1], ["scope-region"])
        self.assert_phase1_kept_phase2_failed(run)

    def test_skip_metadata_still_uses_imds_for_credentials(self):
        run = self.run_ec2seed("--skip-metadata")
        self.assertEqual(run.report["outcome"], "complete", run.describe())
        for source in METADATA:
            self.assertEqual(run.sink_for(source), [], source)
        self.assert_kms_bytes_are_the_good_ones_served(run)
        self.assertEqual(len(run.sink_bytes(KMS_SOURCE)), 1024)

    def test_skip_kms_is_phase1_only(self):
        run = self.run_ec2seed("--skip-kms")
        self.assertEqual(run.report["outcome"], "complete", run.describe())
        self.assert_metadata_added(run)
        self.assertEqual(self.kms_requests(), [])
        self.assertEqual(self.emu.events("kms", "conn-open"), [])

    def test_credit_flags(self):
        run = self.run_ec2seed("--credit", "imds/instance-id=7", "--credit-profile", "default")
        credits = dict(DEFAULT_CREDITS, **{"imds/instance-id": 7})
        self.assert_metadata_added(run, credits=credits)
        run = self.run_ec2seed("--credit-profile", "none")
        self.assert_metadata_added(run, credits={s: 0 for s in METADATA})


class Rounds(EndToEnd):
    def test_4096_bytes_in_four_rounds_over_one_tls_connection(self):
        run = self.run_ec2seed("--kms-bytes", "4096")
        self.assert_complete(run, kms_bytes=4096)
        requests = self.kms_requests()
        self.assertEqual(len(requests), 4)
        self.assertEqual(run.report["kms"]["calls"], 4)
        self.assertEqual(len({r["conn"] for r in requests}), 1, requests)
        self.assertEqual(len(self.emu.events("kms", "tls-ok")), 1)
        for entry in self.emu.served_kms():
            self.assertEqual(len(entry["plaintext_hex"]), 2 * 1024)

    def test_uneven_total_is_split_at_1024(self):
        run = self.run_ec2seed("--kms-bytes", "1500")
        self.assert_complete(run, kms_bytes=1500)
        sizes = sorted(len(e["plaintext_hex"]) // 2 for e in self.emu.served_kms())
        self.assertEqual(sizes, [476, 1024])


class ImdsConnections(EndToEnd):
    # Every metadata answer is a little late, so that requests sent together are
    # seen together by the server.
    scenario = {"faults": [{"service": "imds", "kind": "latency", "seconds": 0.3,
                            "path": "/latest/*", "method": "GET", "count": -1}]}

    def test_connections_reused_and_never_more_than_in_flight(self):
        run = self.run_ec2seed()
        self.assert_complete(run)
        requests = self.imds_requests()
        connections = {}
        for request in requests:
            connections.setdefault(request["conn"], []).append(request)

        # No connection carries two requests at once (HTTP/1.1, no pipelining).
        for conn, carried in connections.items():
            carried.sort(key=lambda r: r["time"])
            for before, after in zip(carried, carried[1:]):
                self.assertGreaterEqual(after["time"], before["end"] - 0.01, conn)

        # Most requests in flight at once, as the server saw them.
        points = sorted([(r["time"], 1) for r in requests] + [(r["end"], -1) for r in requests],
                        key=lambda p: (p[0], p[1]))
        in_flight = most = 0
        for _, step in points:
            in_flight += step
            most = max(most, in_flight)
        opened = self.emu.events("imds", "conn-open")
        self.assertLessEqual(len(opened), most,
                             "%d IMDS connections for at most %d requests at once"
                             % (len(opened), most))
        self.assertTrue(any(len(c) > 1 for c in connections.values()),
                        "no IMDS connection was reused")
        self.assertGreater(most, 1, "metadata requests were not sent concurrently")


class Secrets(EndToEnd):
    def test_nothing_secret_in_output_or_recording_at_verbose(self):
        run = self.run_ec2seed("--kms-bytes", "2048")
        self.assert_complete(run, kms_bytes=2048)
        self.assertTrue(run.record, "--record wrote nothing")
        self.assertTrue(run.stderr, "-v logged nothing")
        # assert_no_secrets ran inside run_ec2seed; check it can see a leak.
        leaked = Run(0, run.stdout, run.stderr + self.emu.secrets["session_token"], run.sink,
                     run.record, 0)
        with self.assertRaises(AssertionError):
            self.assert_no_secrets(leaked)

    def test_nothing_secret_when_kms_fails(self):
        self.restart_emulator({"faults": [{"service": "kms", "kind": "body",
                                           "body": "wrong-length", "count": -1}]})
        run = self.run_ec2seed(deadline=8)
        self.assertIn(run.report["outcome"], ("partial", "complete"))
        self.assertEqual(run.sink_for(KMS_SOURCE), [])


# --------------------------------------------------------------------------------
# IMDS faults


class ImdsTokenFaults(EndToEnd):
    def fallback_to_v1(self, token_status):
        self.restart_emulator({"imds_mode": "v1-only", "v1_only_token_status": token_status})
        run = self.run_ec2seed()
        self.assert_complete(run)
        self.assertTrue(run.report.get("imds_v1"), "report does not say IMDSv1 was used")
        gets = [r for r in self.imds_requests() if r["method"] == "GET"]
        self.assertTrue(gets)
        self.assertFalse(any(self.has_token(r) for r in gets))
        return run

    def test_403_falls_back_to_v1(self):
        self.fallback_to_v1(403)

    def test_404_falls_back_to_v1(self):
        self.fallback_to_v1(404)

    def test_405_falls_back_to_v1(self):
        self.fallback_to_v1(405)

    def test_token_timeout_falls_back_to_v1(self):
        self.restart_emulator({"imds_mode": "token-optional",
                               "faults": [{"service": "imds", "kind": "hang", "seconds": 30,
                                           "method": "PUT", "count": -1}]})
        run = self.run_ec2seed(deadline=20)
        self.assert_complete(run)
        self.assertTrue(run.report.get("imds_v1"))

    def test_v1_never_fails_without_token(self):
        self.restart_emulator({"imds_mode": "v1-only", "v1_only_token_status": 403})
        run = self.run_ec2seed("--imds-v1", "never")
        self.assertEqual(run.report["outcome"], "failed", run.describe())
        self.assertEqual(run.returncode, EXIT_FAILED)
        self.assertEqual([r for r in self.imds_requests() if r["method"] == "GET"], [])
        self.assertEqual(self.kms_requests(), [])

    def test_v1_disabled_by_environment(self):
        self.restart_emulator({"imds_mode": "v1-only", "v1_only_token_status": 403})
        run = self.run_ec2seed(env={"AWS_EC2_METADATA_V1_DISABLED": "true"})
        self.assertEqual(run.returncode, EXIT_FAILED, run.describe())
        self.assertEqual([r for r in self.imds_requests() if r["method"] == "GET"], [])

    def test_400_means_token_required_no_fallback(self):
        self.restart_emulator({"faults": [{"service": "imds", "kind": "status", "status": 400,
                                           "method": "PUT", "count": -1}]})
        run = self.run_ec2seed()
        self.assertEqual(run.report["outcome"], "failed", run.describe())
        self.assertEqual([r for r in self.imds_requests() if r["method"] == "GET"], [],
                         "fell back to IMDSv1 after a 400")

    def test_token_optional_mode(self):
        self.restart_emulator({"imds_mode": "token-optional"})
        run = self.run_ec2seed()
        self.assert_complete(run)
        self.assertFalse(run.report.get("imds_v1"))

    def test_401_mid_run_refreshes_token_once(self):
        self.restart_emulator({"faults": [{"service": "imds", "kind": "expire-token",
                                           "path": "/latest/meta-data/*", "after": 1}]})
        run = self.run_ec2seed()
        self.assert_complete(run)
        self.assertEqual(len(self.imds_requests(TOKEN_PATH)), 2,
                         "not exactly one new token after the 401s")
        # Requests in flight with the expired token all get 401; each is retried once.
        refused = [r for r in self.imds_requests() if r["status"] == 401]
        self.assertTrue(refused)
        for request in refused:
            retried = [r for r in self.imds_requests(request["path"])
                       if r["time"] > request["time"] and r["status"] == 200]
            self.assertTrue(retried, request["path"] + " not retried after 401")


class ImdsEarlyBoot(EndToEnd):
    def test_503_at_first_is_retried(self):
        self.restart_emulator({"faults": [{"service": "imds", "kind": "status", "status": 503,
                                           "count": 2}]})
        run = self.run_ec2seed()
        self.assert_complete(run)
        self.assertGreaterEqual(run.report["retries"], 1)

    def test_refused_connections_at_first_are_retried(self):
        self.restart_emulator({"refuse_seconds": {"imds": 1.5}})
        run = self.run_ec2seed(deadline=20)
        self.assert_complete(run)
        self.assertGreaterEqual(run.report["retries"], 1)

    def test_latency_and_slow_drip_still_complete(self):
        self.restart_emulator({"faults": [
            {"service": "imds", "kind": "latency", "seconds": 0.5, "method": "PUT"},
            {"service": "imds", "kind": "drip", "interval": 0.02, "chunk": 8,
             "path": "/latest/dynamic/instance-identity/signature"}]})
        run = self.run_ec2seed()
        self.assert_complete(run)

    def test_unreachable_imds_fails_within_deadline(self):
        self.restart_emulator({"refuse_seconds": {"imds": 600}})
        run = self.run_ec2seed(deadline=4)
        self.assertEqual(run.report["outcome"], "failed", run.describe())
        self.assertGreaterEqual(run.elapsed, 3.0, "gave up long before the deadline")

    def test_hanging_imds_fails_within_deadline(self):
        self.restart_emulator({"faults": [{"service": "imds", "kind": "hang", "seconds": 60,
                                           "count": -1}]})
        run = self.run_ec2seed(deadline=5)
        self.assertEqual(run.report["outcome"], "failed", run.describe())


class ImdsItemFaults(EndToEnd):
    def test_no_role_keeps_phase1(self):
        self.restart_emulator({"role": None})
        run = self.run_ec2seed()
        self.assert_phase1_kept_phase2_failed(run)
        self.assertEqual(self.kms_requests(), [])
        self.assertIn("no_credentials", json.dumps(run.report["errors"]))

    def test_missing_item_is_skipped(self):
        self.restart_emulator({"faults": [{"service": "imds", "kind": "status", "status": 404,
                                           "path": "/latest/meta-data/local-ipv4",
                                           "count": -1}]})
        run = self.run_ec2seed()
        self.assertIn(run.report["outcome"], ("complete", "partial"), run.describe())
        self.assertEqual(run.sink_for("imds/local-ipv4"), [])
        self.assert_metadata_added(run, sources=("imds/instance-id", "imds/mac",
                                                 "imds/signature"))
        self.assert_kms_bytes_are_the_good_ones_served(run)
        self.assertEqual(len(run.sink_bytes(KMS_SOURCE)), 1024)
        self.assertIn("local-ipv4", json.dumps(run.report["errors"]))

    def broken_item(self, path, how, source):
        self.restart_emulator({"faults": [{"service": "imds", "kind": "body", "body": how,
                                           "path": path, "count": 1}]})
        run = self.run_ec2seed(deadline=20)
        broken = [e for e in self.emu.served() if e.get("broken")]
        self.assertEqual(len(broken), 1, "the fault never fired")
        if run.sink_for(source):
            # Whatever was added came from an intact answer served later.
            self.assert_metadata_added(run, sources=(source,))
        self.assertIn(run.report["outcome"], ("complete", "partial"), run.describe())
        return run

    def test_truncated_item_is_not_added_broken(self):
        self.broken_item("/latest/meta-data/instance-id", "truncated", "imds/instance-id")

    def test_huge_signature_is_not_added(self):
        run = self.broken_item("/latest/dynamic/instance-identity/signature", "huge",
                               "imds/signature")
        self.assert_metadata_added(run, sources=("imds/instance-id", "imds/local-ipv4",
                                                 "imds/mac"))

    def test_invalid_credentials_json_ends_phase2(self):
        self.restart_emulator({"faults": [{"service": "imds", "kind": "status", "status": 200,
                                           "body": "{\"Code\": \"Success\", \"AccessKey",
                                           "path": "/latest/meta-data/iam/security-"
                                                   "credentials/ec2seed-test-role",
                                           "count": -1}]})
        run = self.run_ec2seed(deadline=10)
        self.assert_phase1_kept_phase2_failed(run)
        self.assertEqual(self.kms_requests(), [])

    def test_hanging_item_ends_within_deadline(self):
        self.restart_emulator({"faults": [{"service": "imds", "kind": "hang", "seconds": 60,
                                           "path": "/latest/meta-data/mac", "count": -1}]})
        run = self.run_ec2seed(deadline=8)
        self.assertEqual(run.sink_for("imds/mac"), [])
        self.assertIn(run.report["outcome"], ("partial", "complete"), run.describe())
        self.assert_metadata_added(run, sources=("imds/instance-id", "imds/local-ipv4",
                                                 "imds/signature"))


# --------------------------------------------------------------------------------
# KMS faults


class KmsErrors(EndToEnd):
    def test_throttled_twice_then_success(self):
        self.restart_emulator({"faults": [{"service": "kms", "kind": "error",
                                           "preset": "throttling", "count": 2}]})
        run = self.run_ec2seed(deadline=25)
        self.assert_complete(run)
        self.assertEqual(run.report["kms"]["calls"], 3)
        self.assertEqual(len(self.kms_requests()), 3)

    def test_5xx_until_retries_run_out_keeps_phase1(self):
        self.restart_emulator({"faults": [{"service": "kms", "kind": "error",
                                           "preset": "internal", "count": -1}]})
        run = self.run_ec2seed(deadline=25)
        self.assert_phase1_kept_phase2_failed(run)
        self.assertEqual(len(self.kms_requests()), 3, "standard mode: 3 attempts in all")

    def test_access_denied_is_not_retried(self):
        self.restart_emulator({"faults": [{"service": "kms", "kind": "error",
                                           "preset": "access-denied", "count": -1}]})
        run = self.run_ec2seed()
        self.assert_phase1_kept_phase2_failed(run)
        self.assertEqual(len(self.kms_requests()), 1)
        self.assertIn("AccessDenied", json.dumps(run.report["errors"]))

    def test_bad_gateway_status_is_retried(self):
        self.restart_emulator({"faults": [{"service": "kms", "kind": "status", "status": 502,
                                           "body": "<html>bad gateway</html>"}]})
        run = self.run_ec2seed(deadline=25)
        self.assert_complete(run)
        self.assertEqual(len(self.kms_requests()), 2)

    def test_clock_skew_server_ahead_resigns_once(self):
        self.restart_emulator({"clock_offset_seconds": 900})
        run = self.run_ec2seed()
        self.assert_complete(run)
        verdicts = [r["verdict"] for r in self.kms_requests()]
        self.assertEqual(verdicts, ["signature-expired", "ok"])

    def test_clock_skew_server_behind_resigns_once(self):
        self.restart_emulator({"clock_offset_seconds": -900})
        run = self.run_ec2seed()
        self.assert_complete(run)
        verdicts = [r["verdict"] for r in self.kms_requests()]
        self.assertEqual(verdicts, ["signature-not-yet-current", "ok"])

    def test_throttled_forever_keeps_phase1(self):
        self.restart_emulator({"faults": [{"service": "kms", "kind": "error",
                                           "preset": "throttling", "count": -1}]})
        run = self.run_ec2seed(deadline=25)
        self.assert_phase1_kept_phase2_failed(run)


class KmsBodies(EndToEnd):
    def broken_reply(self, how, count=1, kms_bytes=1024):
        self.restart_emulator({"faults": [{"service": "kms", "kind": "body", "body": how,
                                           "count": count,
                                           "after": 1 if how == "repeat" else 0}]})
        run = self.run_ec2seed("--kms-bytes", str(kms_bytes), deadline=25)
        self.assertIn(run.report["outcome"], ("complete", "partial"), run.describe())
        self.assert_metadata_added(run)
        self.assert_kms_bytes_are_the_good_ones_served(run)
        self.assertGreaterEqual(len(self.kms_requests()), 1)
        return run

    def test_wrong_length_not_credited(self):
        self.broken_reply("wrong-length")

    def test_invalid_json_not_credited(self):
        self.broken_reply("invalid-json")

    def test_invalid_base64_not_credited(self):
        self.broken_reply("invalid-base64")

    def test_truncated_not_credited(self):
        self.broken_reply("truncated")

    def test_10_mib_body_not_credited(self):
        self.broken_reply("huge")

    def test_all_zero_not_credited(self):
        self.broken_reply("all-zero")

    def test_repeated_reply_not_credited(self):
        self.broken_reply("repeat", kms_bytes=2048)

    def test_always_broken_keeps_phase1(self):
        self.restart_emulator({"faults": [{"service": "kms", "kind": "body",
                                           "body": "invalid-base64", "count": -1}]})
        run = self.run_ec2seed(deadline=25)
        self.assert_phase1_kept_phase2_failed(run)


class KmsTransport(EndToEnd):
    def test_wrong_host_certificate_refused(self):
        self.restart_emulator({"faults": [{"service": "kms", "kind": "wrong-host-cert",
                                           "count": -1}]})
        run = self.run_ec2seed(deadline=15)
        self.assert_phase1_kept_phase2_failed(run)
        self.assertEqual(self.kms_requests(), [], "a request went over an untrusted TLS link")
        # The emulator logs the handshake's end from its own thread, which may come
        # after ec2seed has exited: give it a moment. (Over TLS 1.3 the server may
        # finish its side before the client refuses.)
        give_up = time.monotonic() + 10
        presented = []
        while not presented and time.monotonic() < give_up:
            presented = [e for e in self.emu.log() if e.get("cert") == "wrong-host"]
            if not presented:
                time.sleep(0.1)
        self.assertTrue(presented, "the wrong certificate was never presented")

    def test_untrusted_ca_refused(self):
        run_ca = self.emu.ca
        self.emu.info["ca"] = "/etc/ssl/certs/ca-certificates.crt"
        try:
            run = self.run_ec2seed(deadline=15)
        finally:
            self.emu.info["ca"] = run_ca
        self.assert_phase1_kept_phase2_failed(run)
        self.assertEqual(self.kms_requests(), [])

    def test_hanging_kms_ends_within_deadline(self):
        self.restart_emulator({"faults": [{"service": "kms", "kind": "hang", "seconds": 60,
                                           "count": -1}]})
        run = self.run_ec2seed(deadline=6)
        self.assert_phase1_kept_phase2_failed(run)

    def test_refused_kms_keeps_phase1(self):
        self.restart_emulator({"refuse_seconds": {"kms": 600}})
        run = self.run_ec2seed(deadline=15)
        self.assert_phase1_kept_phase2_failed(run)

    def test_closed_connection_is_retried(self):
        self.restart_emulator({"faults": [{"service": "kms", "kind": "close", "count": 1}]})
        run = self.run_ec2seed(deadline=25)
        self.assert_complete(run)

    def test_latency_and_slow_drip_still_complete(self):
        self.restart_emulator({"faults": [
            {"service": "kms", "kind": "latency", "seconds": 0.5, "count": 1},
            {"service": "kms", "kind": "drip", "interval": 0.01, "chunk": 64, "after": 1}]})
        run = self.run_ec2seed("--kms-bytes", "2048", deadline=25)
        self.assert_complete(run, kms_bytes=2048)


class Usage(EndToEnd):
    def test_bad_flag_exits_2_before_sending(self):
        for args in (["--transport", "pigeon"], ["--kms-bytes", "0"], ["--sink", "nowhere"],
                     ["--deadline", "-1"], ["--no-such-flag"]):
            completed = subprocess.run([BINARY, "--imds-endpoint", self.emu.imds_url] + args,
                                       capture_output=True, text=True,
                                       env=clean_environment(), timeout=30)
            self.assertEqual(completed.returncode, EXIT_USAGE, args)
            self.assertTrue(completed.stderr.strip(), args)
        self.assertEqual(self.emu.requests("imds"), [])


if __name__ == "__main__":
    unittest.main()
