"""Tests of the boot test's own parts that need no qemu: the network guard, the
initramfs writer, the vmlinux extraction, and the checks that read the kernel's
trace (each fed a timeline that must pass and ones that must fail).

Run: /usr/bin/python3 tests/boot/selftest.py
"""

import io
import lzma
import os
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boot_test as bt  # noqa: E402


class TraceBuilder:
    """Writes trace lines as the kernel's tracefs prints them, for one ec2seed."""

    def __init__(self, pid=104):
        self.pid = pid
        self.time = 4.0
        self.lines = ["# tracer: nop", "#"]

    def _line(self, body, comm="ec2seed", flags="...1."):
        self.time += 0.001
        self.lines.append("%16s-%-6d [000] %s %12.6f: %s"
                          % (comm, self.pid, flags, self.time, body))

    def _exit(self, name, result):
        self._line("sys_%s -> 0x%x" % (name, result % (1 << 64)))

    def probe(self, ready):
        self._line("sys_getrandom(ubuf: 7ffe0, len: 1, flags: 1)")
        self._exit("getrandom", 1 if ready else -11)
        return self

    def add(self, credit, size, crng_done=False):
        self._line("sys_ioctl(fd: 3, cmd: 40085203, arg: 7ffe0)")
        self._line("random_ioctl: (random_ioctl+0x0/0x230) cmd=0x40085203 credit=%d size=%d"
                   % (credit, size), flags=".....")
        if crng_done:
            self._line("console: random: crng init done", flags="d..1.")
        self._exit("ioctl", 0)
        return self

    def draw(self, length=32, flags=0, crng_done=False):
        self._line("sys_getrandom(ubuf: 7ffe0, len: %d, flags: %d)" % (length, flags))
        if crng_done:
            self._line("console: random: crng init done", flags="dNs1.")
        self._exit("getrandom", length)
        return self

    def device_read(self, function="urandom_read_iter", jitter=False, crng_done=False):
        self._line("%s: (%s+0x0/0x1a0)" % (function, function), flags=".....")
        if jitter:
            self._line("try_to_generate_entropy: (try_to_generate_entropy+0x0/0x1e0)",
                       flags=".....")
        if crng_done:
            self._line("console: random: crng init done", flags="dNs1.")
        return self

    def reseed(self, result=0):
        self._line("sys_ioctl(fd: 3, cmd: 5207, arg: 0)")
        self._exit("ioctl", result)
        return self

    def other_process_message(self, text):
        self._line("console: " + text, comm="kworker/u2:1", flags="d....")
        return self

    def timeline(self):
        return bt.Timeline(bt.parse_trace("\n".join(self.lines)))


def phase1(builder, credits=(24, 0, 0, 0), done_at=None):
    for position, credit in enumerate(credits):
        builder.add(credit, 20, crng_done=position == done_at)
    return builder


def outcome(check, *args):
    """Runs one check; returns the messages of the checks that failed."""
    checks = bt.Checks()
    with redirect_stdout(io.StringIO()):
        check(*args, checks)
    return checks.failures


class NetworkGuardTest(unittest.TestCase):
    def test_the_test_network_is_restricted(self):
        bt.require_restricted(bt.netdev_option(1000, 1001))

    def test_refuses_unrestricted_networks(self):
        good = bt.netdev_option(1000, 1001)
        for bad in (good.replace("restrict=on", "restrict=off"),
                    good.replace(",restrict=on", ""),
                    good.replace("restrict=on", "restrict=on,restrict=no"),
                    good + ",hostfwd=tcp::2222-:22",
                    good.replace("user,", "tap,")):
            with self.assertRaises(bt.CheckFailed, msg=bad):
                bt.require_restricted(bad)

    def test_forwards_go_to_loopback_relays(self):
        netdev = bt.netdev_option(1000, 1001)
        self.assertIn("guestfwd=tcp:169.254.169.254:80-cmd:/usr/bin/python3 ", netdev)
        self.assertIn("relay.py 1000", netdev)
        self.assertIn("guestfwd=tcp:%s:443-cmd:" % bt.KMS_ADDR, netdev)
        self.assertIn("relay.py 1001", netdev)


class InitramfsTest(unittest.TestCase):
    def test_cpio_lists_files_folders_and_the_console_node(self):
        with tempfile.TemporaryDirectory() as folder:
            archive = bt.Cpio()
            archive.file("bin/tool", b"#!/bin/sh\n", 0o755)
            archive.file("lib64/ld.so", b"\x7fELF", 0o644)
            archive.char_device("dev/console", 5, 1)
            path = os.path.join(folder, "initramfs.cpio")
            archive.write(path)
            with open(path, "rb") as f:
                listing = subprocess.run(["busybox", "cpio", "-t", "-v"], stdin=f, check=True,
                                         capture_output=True, text=True).stdout
            with open(path, "rb") as f:
                data = f.read()

        # newc: "070701", then 13 eight-digit hex fields; rdevmajor and rdevminor are
        # the 10th and 11th, and the name follows the 110-byte header.
        header = data[data.index(b"dev/console\0") - 110:]
        self.assertEqual(header[:6], b"070701")
        self.assertEqual((int(header[6 + 8 * 9:6 + 8 * 10], 16),
                          int(header[6 + 8 * 10:6 + 8 * 11], 16)), (5, 1))

        lines = listing.splitlines()
        self.assertTrue(any(line.startswith("-rwxr-xr-x") and line.endswith(" bin/tool")
                            for line in lines), listing)
        self.assertTrue(any(line.startswith("drwxr-xr-x") and line.endswith(" bin")
                            for line in lines), listing)
        self.assertTrue(any(line.startswith("-rw-r--r--") and line.endswith(" lib64/ld.so")
                            for line in lines), listing)
        self.assertTrue(any(line.startswith("crw-------") and line.endswith(" dev/console")
                            for line in lines), listing)


class ExtractVmlinuxTest(unittest.TestCase):
    def _image(self, *payloads):
        parts = [b"MZ" + b"\0" * 500]
        for payload in payloads:
            parts.append(lzma.compress(payload, format=lzma.FORMAT_XZ))
            parts.append(b"\x01" * 64)
        return b"".join(parts)

    def _extract(self, image):
        with tempfile.TemporaryDirectory() as folder:
            source = os.path.join(folder, "vmlinuz")
            with open(source, "wb") as f:
                f.write(image)
            destination = os.path.join(folder, "vmlinux")
            if not bt.extract_vmlinux(source, destination):
                return None
            with open(destination, "rb") as f:
                return f.read()

    def test_finds_the_elf_payload(self):
        kernel = b"\x7fELF" + os.urandom(4096)
        self.assertEqual(self._extract(self._image(b"not a kernel", kernel)), kernel)

    def test_says_when_there_is_no_elf_payload(self):
        self.assertIsNone(self._extract(self._image(b"not a kernel")))
        self.assertIsNone(self._extract(b"MZ" + b"\xfd7zXZ\x00" + b"truncated"))


class TimelineChecksTest(unittest.TestCase):
    def test_tls_after_phase1_passes(self):
        timeline = phase1(TraceBuilder().probe(False)).draw(crng_done=True).timeline()
        self.assertEqual(outcome(bt.check_phase1_first, timeline, 4), [])

    def test_a_draw_before_phase1_fails(self):
        builder = TraceBuilder().probe(False).draw(crng_done=True)
        self.assertEqual(len(outcome(bt.check_phase1_first, phase1(builder).timeline(), 4)), 1)

    def test_a_draw_between_phase1_additions_fails(self):
        builder = TraceBuilder().probe(False).add(24, 20).add(0, 20).draw()
        timeline = builder.add(0, 20).add(0, 20).timeline()
        self.assertEqual(len(outcome(bt.check_phase1_first, timeline, 4)), 1)

    def test_a_urandom_read_before_phase1_fails(self):
        builder = TraceBuilder().probe(False).device_read(jitter=True, crng_done=True)
        timeline = phase1(builder).timeline()
        self.assertEqual(len(outcome(bt.check_phase1_first, timeline, 4)), 1)
        self.assertEqual(timeline.jitter_started, [2])  # after the probe and the read
        self.assertEqual(bt.crng_ready_cause(timeline, 4), "other")

    def test_a_urandom_read_after_phase1_passes(self):
        builder = phase1(TraceBuilder().probe(False)).device_read("random_read_iter")
        self.assertEqual(outcome(bt.check_phase1_first, builder.timeline(), 4), [])

    def test_a_nonblocking_one_byte_probe_is_not_a_draw(self):
        timeline = phase1(TraceBuilder().draw(8, 1).probe(False).probe(False)).timeline()
        self.assertEqual(outcome(bt.check_phase1_first, timeline, 4), [])

    def test_crng_ready_inside_phase1_passes(self):
        timeline = phase1(TraceBuilder().probe(False), (24, 160, 72, 0), done_at=2).draw()
        self.assertEqual(outcome(bt.check_phase1_unblocks, timeline.timeline(), 4), [])

    def test_crng_ready_from_jitter_is_not_phase1(self):
        timeline = phase1(TraceBuilder().probe(False), (24, 160, 72, 0)).draw(crng_done=True)
        self.assertEqual(len(outcome(bt.check_phase1_unblocks, timeline.timeline(), 4)), 1)

    def test_another_process_message_is_not_attributed_to_ec2seed(self):
        builder = phase1(TraceBuilder().probe(False)).other_process_message("eth0: up")
        self.assertIsNone(builder.timeline().crng_init_done)

    def test_kms_after_jitter_needs_a_reseed(self):
        builder = phase1(TraceBuilder().probe(False)).draw(crng_done=True).add(8192, 1024)
        self.assertEqual(len(outcome(bt.check_kms_took_effect, builder.timeline(), 4, True)), 1)
        self.assertEqual(outcome(bt.check_kms_took_effect, builder.reseed().timeline(), 4,
                                 True), [])

    def test_kms_credit_that_readies_the_crng_needs_no_reseed(self):
        builder = phase1(TraceBuilder().probe(False)).draw().add(8192, 1024, crng_done=True)
        self.assertEqual(outcome(bt.check_kms_took_effect, builder.timeline(), 4, True), [])

    def test_warm_crng_needs_a_successful_reseed_after_kms(self):
        builder = phase1(TraceBuilder().probe(True)).draw().add(8192, 1024)
        self.assertEqual(len(outcome(bt.check_kms_took_effect, builder.timeline(), 4, False)),
                         1)
        failed = phase1(TraceBuilder().probe(True)).draw().add(8192, 1024).reseed(-1)
        self.assertEqual(len(outcome(bt.check_kms_took_effect, failed.timeline(), 4, False)), 1)

    def test_kernel_claims_must_match_the_trace(self):
        timeline = phase1(TraceBuilder().probe(False)).draw(crng_done=True).add(8192, 1024)
        timeline = timeline.reseed().probe(True).timeline()
        truthful = {"crng_ready_before": False, "crng_ready_after": True, "reseeded": True}
        self.assertEqual(outcome(bt.check_kernel_claims, truthful, timeline), [])
        for key in truthful:
            claims = dict(truthful, **{key: not truthful[key]})
            self.assertEqual(len(outcome(bt.check_kernel_claims, claims, timeline)), 1, key)

    def _cause_failures(self, timeline, cause):
        report = {"kernel": {"crng_ready_before": False}}
        if cause is not None:
            report["kernel"]["crng_ready_cause"] = cause
        return len(outcome(bt.check_cause_claims, report, timeline.timeline(), [{}] * 4))

    def test_ready_from_jitter_must_be_reported_as_not_ec2seeds(self):
        jitter = phase1(TraceBuilder().probe(False)).draw(crng_done=True).add(8192, 1024)
        self.assertEqual(self._cause_failures(jitter, "kernel, before ec2seed's credit"), 0)
        self.assertEqual(self._cause_failures(jitter, "kms/generate-random"), 1)
        self.assertEqual(self._cause_failures(jitter, None), 1)

    def test_ready_from_a_credit_must_name_its_phase(self):
        by_phase1 = phase1(TraceBuilder().probe(False), (24, 160, 72, 0), done_at=2)
        by_phase1.draw().add(8192, 1024)
        self.assertEqual(self._cause_failures(by_phase1, "imds/local-ipv4"), 0)
        self.assertEqual(self._cause_failures(by_phase1, None), 0)
        self.assertEqual(self._cause_failures(by_phase1, "kms/generate-random"), 1)
        self.assertEqual(self._cause_failures(by_phase1, "kernel jitter"), 1)

    def test_ready_before_ec2seed_names_no_source(self):
        warm = phase1(TraceBuilder().probe(True)).draw().add(8192, 1024).reseed()
        self.assertEqual(self._cause_failures(warm, None), 0)
        self.assertEqual(self._cause_failures(warm, "imds/mac"), 1)


class EmulatorLogTest(unittest.TestCase):
    def _entries(self, kms_host=bt.KMS_ADDR, kms_calls=1):
        def request(service, method, path, host, target=None):
            headers = [["Host", host]]
            if target:
                headers.append(["X-Amz-Target", target])
            return {"event": "request", "service": service, "method": method, "path": path,
                    "headers": headers, "status": 200}

        entries = [request("imds", "PUT", "/latest/api/token", bt.IMDS_ADDR)]
        for path in ("/latest/meta-data/instance-id", "/latest/meta-data/local-ipv4",
                     "/latest/meta-data/mac", "/latest/dynamic/instance-identity/signature",
                     "/latest/meta-data/iam/security-credentials/"):
            entries.append(request("imds", "GET", path, bt.IMDS_ADDR))
        for _ in range(kms_calls):
            entries.append(request("kms", "POST", "/", kms_host, "TrentService.GenerateRandom"))
        return entries

    def test_the_guests_requests_pass(self):
        self.assertEqual(outcome(bt.check_emulator_log, {"kms": {"calls": 1}}, self._entries()),
                         [])

    def test_requests_not_from_the_guest_fail(self):
        entries = self._entries(kms_host="127.0.0.1:4443")
        self.assertEqual(len(outcome(bt.check_emulator_log, {"kms": {"calls": 1}}, entries)), 1)

    def test_a_missing_kms_call_fails(self):
        entries = self._entries(kms_calls=0)
        self.assertEqual(len(outcome(bt.check_emulator_log, {"kms": {"calls": 1}}, entries)), 2)


class SecretTest(unittest.TestCase):
    SECRETS = [("secret_access_key", "wJalrXUtnFEMI/K7MDENG"),
               ("session_token", "IQoJb3JpZ2luX2VjEExample"),
               ("IMDS token", "AQAEAExampleToken==")]

    def test_output_without_secrets_passes(self):
        output = "ec2seed: info: credentials received (access key id ASIAEXAMPLE)\n"
        self.assertEqual(outcome(bt.check_no_secret, output, self.SECRETS), [])

    def test_a_leaked_secret_fails(self):
        for name, value in self.SECRETS:
            output = "X-aws-ec2-metadata-token: %s\n" % value
            self.assertEqual(len(outcome(bt.check_no_secret, output, self.SECRETS)), 1, name)


class GuestOutputTest(unittest.TestCase):
    def test_values_and_sections(self):
        guest = bt.GuestOutput("a=1\n=== report\n{\"x\": 1}\n=== end report\nb=c=d\na=2\n")
        self.assertEqual(guest.values, {"a": "1", "b": "c=d"})
        self.assertEqual(guest.section("report"), "{\"x\": 1}")
        self.assertEqual(guest.section("missing"), "")


if __name__ == "__main__":
    unittest.main()
