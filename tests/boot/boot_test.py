"""The boot test: ec2seed seeds a Linux kernel that has just booted, under qemu.

Subcommands (run with /usr/bin/python3; standard library only):

  fetch-kernel --cache DIR
      Takes Debian 12's kernel package (the one linux-image-amd64 depends on) with
      `apt-get download`, unpacks it with `dpkg -x` in a scratch folder (never
      installs it), and keeps in DIR/<package>_<version>/ the uncompressed vmlinux
      (extracted from vmlinuz here), vmlinuz and the virtio-net modules. Reused
      while the archive's version stays the same.

  run CASE --cache DIR --work DIR --ec2seed PATH --probe PATH
      Builds an initramfs (busybox-static, ec2seed with its shared libraries, the
      emulator's CA, init.sh), starts the emulator (tests/emulator) on 127.0.0.1,
      boots the kernel with qemu -accel tcg and user networking restricted to
      forwards onto loopback, then checks what the guest reported. CASE is one of:
        cold    crng not ready at boot; default credits (curl transport)
        phase1  crng not ready at boot; phase-1 credits raised to 256 bits (native)
        warm    crng ready at boot (trusted CPU RNG); ec2seed must reseed it (curl)

How the order of events is seen: init.sh turns on the guest kernel's own tracing
before it starts ec2seed. The trace holds, in the order they happened (one vCPU),
ec2seed's random-device ioctls with the credit and size each RNDADDENTROPY carried
(a kprobe reading the caller's rand_pool_info), its getrandom calls with their
flags, its reads of /dev/urandom, the start of the kernel's jitter entropy, and
the kernel's messages ("random: crng init done") with the call they fell inside.
Nothing in the guest is instrumented but the kernel, so ec2seed runs unchanged.

Exit status: 0 pass, 1 fail, 77 skipped (qemu cannot run at all on this machine).
"""

import argparse
import base64
import json
import lzma
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77

# The virtio-net driver and what it needs, in load order.
MODULES = ("virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev",
           "virtio_pci", "failover", "net_failover", "virtio_net")

# qemu user networking with net=169.254.0.0/16: the gateway is .0.2, DHCP starts at
# .0.15. The guest takes .0.15 by hand; KMS gets an address of its own.
GUEST_ADDR = "169.254.0.15"
GATEWAY = "169.254.0.2"
IMDS_ADDR = "169.254.169.254"
KMS_ADDR = "169.254.0.10"

# Kernel ioctl numbers (linux/random.h).
RNDGETENTCNT = 0x80045200
RNDADDENTROPY = 0x40085203
RNDRESEEDCRNG = 0x5207
GRND_NONBLOCK = 0x1
GRND_INSECURE = 0x4
# Kprobes init.sh sets on the random device's read functions.
DEVICE_READS = ("urandom_read_iter", "random_read_iter")

QEMU = "qemu-system-x86_64"
# A boot takes about 15 s on an idle machine; TCG slows down as much as the host is
# busy (a parallel build), so allow for that.
BOOT_TIMEOUT = 120


class CheckFailed(Exception):
    pass


def log(message):
    print("boot: " + message, flush=True)


# ---------------------------------------------------------------------------------
# The kernel


def _kernel_package():
    """The kernel package linux-image-amd64 depends on, and its version (one apt-cache
    call: each call rebuilds apt's cache here and takes seconds)."""
    show = subprocess.run(["apt-cache", "show", "--no-all-versions", "linux-image-amd64"],
                          check=True, capture_output=True, text=True).stdout
    match = re.search(r"^Depends: .*?(linux-image-6\.1\.\S+-amd64) \(= ([^)\s]+)\)",
                      show, re.MULTILINE)
    if not match:
        raise CheckFailed("linux-image-amd64 names no linux-image-6.1.*-amd64 (= version):\n"
                          + show)
    return match.group(1), match.group(2)


def extract_vmlinux(vmlinuz, destination):
    """Writes the ELF kernel inside a bzImage; returns False when none is found.

    Debian's 6.1 kernel is compressed with xz (CONFIG_KERNEL_XZ); gzip and zstd are
    tried too in case that changes. The payload starts at a compression magic; the
    first one that decompresses to an ELF image is the kernel.
    """
    with open(vmlinuz, "rb") as f:
        image = f.read()

    def xz(data):
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)

    def gzip_(data):
        import zlib
        return zlib.decompressobj(wbits=31).decompress(data)

    def zstd(data):
        return subprocess.run(["zstd", "-dc"], input=data, capture_output=True,
                              check=True).stdout

    for magic, decompress in ((b"\xfd7zXZ\x00", xz), (b"\x1f\x8b\x08", gzip_),
                              (b"\x28\xb5\x2f\xfd", zstd)):
        offset = image.find(magic)
        while offset >= 0:
            try:
                kernel = decompress(image[offset:])
            except (lzma.LZMAError, OSError, ValueError, subprocess.CalledProcessError):
                kernel = b""
            if kernel.startswith(b"\x7fELF"):
                with open(destination + ".part", "wb") as out:
                    out.write(kernel)
                os.replace(destination + ".part", destination)
                return True
            offset = image.find(magic, offset + 1)
    return False


def cached_kernel(cache):
    """The kernel fetch-kernel left in the cache (it keeps one), else a fresh fetch."""
    if os.path.isdir(cache):
        for name in sorted(os.listdir(cache)):
            folder = os.path.join(cache, name)
            if name.startswith("linux-image-") and os.path.exists(
                    os.path.join(folder, "complete")):
                return folder
    return fetch_kernel(cache)


def fetch_kernel(cache):
    """Returns the cached kernel folder, fetching and unpacking it when missing."""
    package, version = _kernel_package()
    folder = os.path.join(cache, "%s_%s" % (package, version.replace(":", "%3a")))
    if os.path.exists(os.path.join(folder, "complete")):
        return folder

    log("fetching %s %s (apt-get download; not installed on this machine)"
        % (package, version))
    os.makedirs(cache, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="kernel-", dir=cache)
    try:
        download = subprocess.run(["apt-get", "download", "%s=%s" % (package, version)],
                                  cwd=scratch, capture_output=True, text=True)
        if download.returncode != 0:
            # Stale package lists name a file the mirror no longer has.
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(["apt-get", "download", package], cwd=scratch, check=True,
                           capture_output=True)
        debs = [n for n in os.listdir(scratch) if n.endswith(".deb")]
        if len(debs) != 1:
            raise CheckFailed("apt-get download left %r" % debs)
        tree = os.path.join(scratch, "tree")
        subprocess.run(["dpkg", "-x", os.path.join(scratch, debs[0]), tree], check=True)

        staging = os.path.join(scratch, "kernel")
        os.makedirs(os.path.join(staging, "modules"))
        boot = os.path.join(tree, "boot")
        vmlinuz = [n for n in os.listdir(boot) if n.startswith("vmlinuz-")][0]
        shutil.copy(os.path.join(boot, vmlinuz), os.path.join(staging, "vmlinuz"))
        shutil.copy(os.path.join(boot, vmlinuz.replace("vmlinuz-", "config-")),
                    os.path.join(staging, "config"))
        if not extract_vmlinux(os.path.join(staging, "vmlinuz"),
                               os.path.join(staging, "vmlinux")):
            log("no ELF kernel found inside vmlinuz; booting the compressed image")

        found = {}
        for root, _, files in os.walk(os.path.join(tree, "lib", "modules")):
            for name in files:
                found[name] = os.path.join(root, name)
        for module in MODULES:
            # Debian 12 ships modules uncompressed (CONFIG_MODULE_COMPRESS_NONE).
            source = found.get(module + ".ko")
            if source is None:
                raise CheckFailed("the kernel package has no %s.ko" % module)
            shutil.copy(source, os.path.join(staging, "modules", module + ".ko"))

        with open(os.path.join(staging, "complete"), "w", encoding="ascii") as f:
            f.write("%s %s\n" % (package, version))
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(staging, folder)

        # Kernels of versions the archive no longer names are not used again.
        for name in os.listdir(cache):
            old = os.path.join(cache, name)
            if name.startswith("linux-image-") and old != folder:
                shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


# ---------------------------------------------------------------------------------
# The initramfs


class Cpio:
    """A cpio archive in the kernel's "newc" format, written without root or tools."""

    def __init__(self):
        self._parts = []
        self._inode = 1
        self._dirs = set()

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        encoded = name.encode() + b"\0"
        fields = (self._inode, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(encoded), 0)
        self._inode += 1
        header = b"070701" + b"".join(b"%08X" % v for v in fields)
        self._parts.append(header + encoded + b"\0" * (-(110 + len(encoded)) % 4))
        self._parts.append(data + b"\0" * (-len(data) % 4))

    def directory(self, path):
        path = path.strip("/")
        if not path or path in self._dirs:
            return
        self.directory(os.path.dirname(path))
        self._dirs.add(path)
        self._entry(path, stat.S_IFDIR | 0o755)

    def file(self, path, data, mode=0o755):
        path = path.strip("/")
        self.directory(os.path.dirname(path))
        self._entry(path, stat.S_IFREG | mode, data)

    def copy(self, path, source, mode=None):
        with open(source, "rb") as f:
            data = f.read()
        self.file(path, data, stat.S_IMODE(os.stat(source).st_mode) if mode is None else mode)

    def char_device(self, path, major, minor):
        path = path.strip("/")
        self.directory(os.path.dirname(path))
        self._entry(path, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def write(self, destination):
        self._entry("TRAILER!!!", 0)
        with open(destination, "wb") as f:
            f.write(b"".join(self._parts))


def shared_libraries(binary):
    """The loader and every library ldd resolves for binary, as absolute paths."""
    listing = subprocess.run(["ldd", binary], check=True, capture_output=True,
                             text=True).stdout
    paths = []
    for line in listing.splitlines():
        match = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
        if match:
            paths.append(match.group(1))
        elif "not found" in line:
            raise CheckFailed("ldd cannot resolve a library of %s: %s" % (binary, line))
    return paths


def build_initramfs(destination, kernel, ec2seed, probe, ca_bundle, case_script):
    archive = Cpio()
    for folder in ("dev", "proc", "sys", "tmp", "etc", "bin", "usr/bin", "usr/sbin"):
        archive.directory(folder)
    # The kernel opens /dev/console for init before devtmpfs is mounted.
    archive.char_device("dev/console", 5, 1)

    archive.copy("bin/busybox", "/bin/busybox")
    archive.copy("init", os.path.join(HERE, "init.sh"), 0o755)
    archive.file("etc/boot-case.sh", case_script.encode(), 0o644)
    archive.copy("usr/bin/getrandom-probe", probe, 0o755)
    archive.copy("ca.pem", ca_bundle, 0o644)
    for module in MODULES:
        archive.copy("lib/modules/%s.ko" % module,
                     os.path.join(kernel, "modules", module + ".ko"))

    # Without its debug sections the binary is a fraction of the size, and the
    # guest unpacks every byte of the initramfs under emulation.
    stripped = destination + ".ec2seed"
    subprocess.run(["objcopy", "--strip-debug", ec2seed, stripped], check=True)
    archive.copy("usr/sbin/ec2seed", stripped, 0o755)
    for library in shared_libraries(ec2seed):
        # Keep each path the binary asks for; follow symlinks to the real file.
        archive.copy(library, os.path.realpath(library))

    archive.write(destination)


# ---------------------------------------------------------------------------------
# The emulator


def start_emulator():
    """The emulator on 127.0.0.1 (tests/emulator), its KMS certificate naming the
    address the guest dials."""
    sys.path.insert(0, os.path.join(HERE, "..", "emulator"))
    import emulator_process  # the emulator's own starter, shared by its users

    return emulator_process.RunningEmulator(args=["--cert-host", KMS_ADDR], served=True)


def served_secrets(emulator):
    """Every secret value the emulator handed out, by name: the role's secret key
    and session token, each IMDS token, each KMS plaintext (hex and base64)."""
    found = [(name, value) for name, value in emulator.secrets.items()
             if name != "access_key_id"]
    found += [("IMDS token", token) for token in emulator.imds_tokens()]
    for entry in emulator.served_kms():
        if entry.get("plaintext_hex"):
            plaintext = bytes.fromhex(entry["plaintext_hex"])
            found.append(("KMS plaintext (hex)", plaintext[:16].hex()))
            found.append(("KMS plaintext (base64)", base64.b64encode(plaintext)[:24].decode()))
    return found


# ---------------------------------------------------------------------------------
# qemu


def qemu_can_run():
    """None when qemu-system-x86_64 can set up a TCG machine here, else why it cannot."""
    if shutil.which(QEMU) is None:
        return QEMU + " is not installed"
    try:
        # Stopped before the first instruction; the monitor's "quit" ends it.
        probe = subprocess.run([QEMU, "-accel", "tcg", "-machine", "q35", "-m", "64",
                                "-nodefaults", "-no-user-config", "-display", "none", "-S",
                                "-monitor", "stdio", "-serial", "none"],
                               input="quit\n", capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return "%s does not start: %s" % (QEMU, error)
    if probe.returncode != 0:
        return "%s does not start: %s" % (QEMU, probe.stderr.strip())
    return None


def netdev_option(imds_port, kms_port):
    relay = "/usr/bin/python3 %s" % os.path.join(HERE, "relay.py")
    if "," in relay or " " in HERE:
        raise CheckFailed("the relay path %r cannot go in a qemu option" % relay)
    return ",".join([
        "user", "id=n0", "restrict=on", "net=169.254.0.0/16", "host=" + GATEWAY,
        "guestfwd=tcp:%s:80-cmd:%s %d" % (IMDS_ADDR, relay, imds_port),
        "guestfwd=tcp:%s:443-cmd:%s %d" % (KMS_ADDR, relay, kms_port),
    ])


def require_restricted(netdev):
    """Refuses any user network that is not restricted: with restrict=on the guest
    reaches only the guestfwd rules (here, relays onto 127.0.0.1)."""
    options = netdev.split(",")
    if options[0] != "user" or "restrict=on" not in options or any(
            o.startswith("restrict=") and o != "restrict=on" for o in options) or any(
            o.startswith("hostfwd=") or o.startswith("smb=") for o in options):
        raise CheckFailed("refusing to start qemu with a network that is not restricted: "
                          + netdev)


def run_qemu(kernel_image, initramfs, append, netdev, extra, work):
    # Safety: the guest reaches nothing but the forwards onto loopback.
    require_restricted(netdev)

    console = os.path.join(work, "console.log")
    results = os.path.join(work, "results.log")
    command = [QEMU, "-accel", "tcg", "-machine", "q35", "-m", "512", "-smp", "1",
               "-nodefaults", "-no-user-config", "-no-reboot", "-display", "none",
               "-monitor", "none", "-serial", "file:" + console, "-serial", "file:" + results,
               "-kernel", kernel_image, "-initrd", initramfs, "-append", append,
               "-netdev", netdev, "-device", "virtio-net-pci,netdev=n0,romfile="] + extra
    with open(os.path.join(work, "qemu.command"), "w", encoding="utf-8") as f:
        f.write(" ".join(command) + "\n")

    started = time.monotonic()
    try:
        qemu = subprocess.run(command, capture_output=True, text=True,
                              timeout=BOOT_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise CheckFailed("the guest did not power off within %d s; console:\n%s"
                          % (BOOT_TIMEOUT, _read(console)))
    log("qemu ran %.1f s, exit %d" % (time.monotonic() - started, qemu.returncode))
    if qemu.returncode != 0:
        raise CheckFailed("qemu exited %d: %s\nconsole:\n%s"
                          % (qemu.returncode, qemu.stderr, _read(console)))
    return _read(results).replace("\r", "")


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


# ---------------------------------------------------------------------------------
# What the guest said


class GuestOutput:
    """The values and sections init.sh wrote to ttyS1."""

    def __init__(self, text):
        self.text = text
        self.values = {}
        self.sections = {}
        current = None
        for line in text.splitlines():
            if current is not None:
                if line == "=== end " + current:
                    current = None
                else:
                    self.sections[current].append(line)
                continue
            if line.startswith("=== "):
                current = line[4:]
                self.sections[current] = []
            elif "=" in line:
                key, value = line.split("=", 1)
                self.values.setdefault(key, value)

    def section(self, name):
        return "\n".join(self.sections.get(name, []))


_TRACE_RE = re.compile(r"^\s*(?P<comm>.*?)-(?P<pid>\d+)\s+\[\d+\]\s+(?:\S+\s+)?"
                       r"(?P<time>\d+\.\d+):\s+(?P<event>[\w/]+):?\s?(?P<detail>.*)$")


class TraceEvent:
    def __init__(self, comm, pid, when, event, detail):
        self.comm, self.pid, self.time, self.event, self.detail = comm, pid, when, event, detail

    def __repr__(self):
        return "%s-%d %.6f %s %s" % (self.comm, self.pid, self.time, self.event, self.detail)

    def arg(self, name):
        match = re.search(r"\b%s: ([0-9a-fx]+)" % name, self.detail)
        return int(match.group(1), 16) if match else None

    def is_ioctl(self, cmd):
        return self.event == "sys_ioctl" and self.arg("cmd") == cmd

    def is_getrandom(self):
        return self.event == "sys_getrandom"

    def is_crng_init_done(self):
        return self.event == "console" and "crng init done" in self.detail


def parse_trace(text):
    events = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = _TRACE_RE.match(line)
        if match:
            events.append(TraceEvent(match.group("comm"), int(match.group("pid")),
                                     float(match.group("time")), match.group("event"),
                                     match.group("detail")))
    return events


class Call:
    """One system call of ec2seed as the kernel traced it, with what happened inside."""

    def __init__(self, enter):
        self.enter = enter
        self.pid = enter.pid
        self.name = enter.event[4:] if enter.event.startswith("sys_") else enter.event
        self.result = None      # the return value, as a signed number
        self.credit = None      # RNDADDENTROPY: the credit and size the caller asked for
        self.size = None
        self.messages = []      # kernel messages printed while the call ran

    def __repr__(self):
        if self.name in DEVICE_READS:
            text = "read of /dev/%s" % self.name[:-len("_read_iter")]
        else:
            text = "%s(%s) -> %s" % (self.name, self.enter.detail, self.result)
        return text + (" %r" % self.messages if self.messages else "")

    def is_add(self):
        return self.name == "ioctl" and self.enter.arg("cmd") == RNDADDENTROPY

    def is_reseed(self):
        return self.name == "ioctl" and self.enter.arg("cmd") == RNDRESEEDCRNG

    def is_crng_probe(self):
        """The kernel sink's own readiness probe: one byte, GRND_NONBLOCK."""
        return (self.name == "getrandom" and self.enter.arg("len") == 1
                and self.enter.arg("flags") == GRND_NONBLOCK)

    def is_draw(self):
        """How TLS and crypto libraries seed themselves: a getrandom that waits for
        the crng, or a read of /dev/urandom or /dev/random. On an unready crng each
        starts the kernel's own jitter entropy (Linux 5.18+). Non-blocking getrandom
        calls (the sink's probe, glibc malloc's tcache key) start nothing."""
        if self.name in DEVICE_READS:
            return True
        flags = self.enter.arg("flags") or 0
        return self.name == "getrandom" and not flags & (GRND_NONBLOCK | GRND_INSECURE)


class Timeline:
    """ec2seed's random-device calls and getrandom calls in kernel order, and where
    the kernel's "crng init done" fell: inside one of those calls, or elsewhere."""

    def __init__(self, events, comm="ec2seed"):
        self.calls = []
        self.crng_init_done = None   # (index of the call it fell in or before, Call or None)
        self.jitter_started = []     # the same index for each start of the kernel's jitter
        open_calls = {}
        for event in events:
            if event.comm == comm and event.event.startswith("sys_"):
                if " -> " in event.detail or event.detail.startswith("->"):
                    call = open_calls.pop(event.pid, None)
                    if call is not None:
                        value = int(event.detail.split("->")[1].strip(), 16)
                        call.result = value - (1 << 64) if value >= 1 << 63 else value
                    continue
                call = Call(event)
                open_calls[event.pid] = call
                self.calls.append(call)
            elif event.comm == comm and event.event in DEVICE_READS:
                self.calls.append(Call(event))
            elif event.event == "try_to_generate_entropy":
                inside = open_calls.get(event.pid) if event.comm == comm else None
                if inside is not None:
                    inside.messages.append("jitter entropy started")
                self.jitter_started.append(len(self.calls))
            elif event.event == "random_ioctl" and event.pid in open_calls:
                match = re.search(r"credit=(-?\d+) size=(-?\d+)", event.detail)
                if match:
                    open_calls[event.pid].credit = int(match.group(1))
                    open_calls[event.pid].size = int(match.group(2))
            elif event.is_crng_init_done():
                inside = open_calls.get(event.pid) if event.comm == comm else None
                if inside is not None:
                    inside.messages.append("crng init done")
                self.crng_init_done = (len(self.calls), inside)

    def adds(self):
        return [c for c in self.calls if c.is_add()]

    def index(self, call):
        return self.calls.index(call)

    def first_draw(self):
        return next((c for c in self.calls if c.is_draw()), None)

    def describe(self):
        return "\n".join("  %s" % c for c in self.calls)


# ---------------------------------------------------------------------------------
# The cases

CASES = {
    # The pool is empty at boot: nothing trusted, no virtio-rng.
    "cold": {"trust": "off", "transport": "curl", "credits": []},
    # An operator who trusts the metadata: phase 1 alone credits 256 bits
    # (instance-id 160 + local-ipv4 72 + the MAC's default 24). Over the native
    # transport, so that Botan's TLS seeding is ordered too (the others use curl's).
    "phase1": {"trust": "off", "transport": "native",
               "credits": ["imds/instance-id=160", "imds/local-ipv4=72"]},
    # The crng is ready at boot (the TCG CPU's RDRAND, trusted): ec2seed must reseed.
    "warm": {"trust": "on", "transport": "curl", "credits": []},
}


def ec2seed_arguments(case):
    # The IMDS endpoint is ec2seed's default, 169.254.169.254, inside the guest.
    arguments = ["--sink", "kernel", "--report", "json", "--verbose",
                 "--transport", CASES[case]["transport"],
                 "--kms-endpoint", "https://" + KMS_ADDR, "--ca-bundle", "/ca.pem"]
    for credit in CASES[case]["credits"]:
        arguments += ["--credit", credit]
    return arguments


def kernel_command_line(case):
    trust = CASES[case]["trust"]
    return ("console=ttyS0 quiet panic=-1 random.trust_cpu=%s random.trust_bootloader=%s"
            % (trust, trust))


class Checks:
    def __init__(self):
        self.failures = []

    def expect(self, condition, message):
        log(("ok:   " if condition else "FAIL: ") + message)
        if not condition:
            self.failures.append(message)
        return condition


def check_guest(case, guest, report, timeline, emulator_log, checks):
    kernel = report.get("kernel") or {}
    sources = report.get("sources", [])
    phase1 = [s for s in sources if s["source"].startswith("imds/") and s["applied"]]
    kms = [s for s in sources if s["source"].startswith("kms/") and s["applied"]]
    adds = timeline.adds()

    # ec2seed ran to the end.
    checks.expect(guest.values.get("ec2seed_exit") == "0",
                  "ec2seed exits 0 in the guest (got %s)" % guest.values.get("ec2seed_exit"))
    checks.expect(report.get("outcome") == "complete",
                  "the report's outcome is complete (got %r)" % report.get("outcome"))
    checks.expect(len(phase1) == 4 and kms and report["kms"]["bytes"] > 0,
                  "the report lists the four metadata items and the KMS bytes as applied")

    # What the kernel saw before and after.
    cold = CASES[case]["trust"] == "off"
    checks.expect(guest.values.get("init_getrandom_nonblock") ==
                  ("not-ready" if cold else "ready"),
                  "at init the crng is %s (getrandom GRND_NONBLOCK: %s, entropy_avail %s)"
                  % ("not ready" if cold else "ready", guest.values.get("init_getrandom_nonblock"),
                     guest.values.get("init_entropy_avail")))
    checks.expect(kernel.get("crng_ready_before") is (not cold),
                  "the report's kernel section says crng_ready_before=%s (got %r)"
                  % (not cold, kernel.get("crng_ready_before")))
    checks.expect(kernel.get("crng_ready_after") is True,
                  "the report's kernel section says crng_ready_after=true (got %r)"
                  % kernel.get("crng_ready_after"))
    checks.expect(guest.values.get("after_getrandom_nonblock") == "ready",
                  "after ec2seed, getrandom(GRND_NONBLOCK) succeeds in the guest")
    # Once the crng is ready the count stays at the pool's size, so a read just after
    # ec2seed sees what ec2seed's last RNDGETENTCNT saw.
    checks.expect(str(kernel.get("entropy_count_after")) ==
                  guest.values.get("after_entropy_avail"),
                  "the report's entropy_count_after (%s) is the guest's entropy_avail after "
                  "the run (%s)" % (kernel.get("entropy_count_after"),
                                    guest.values.get("after_entropy_avail")))

    # The kernel accepted each addition with the credit the report states.
    checks.expect(len(adds) == len(phase1) + len(kms),
                  "the kernel traced one RNDADDENTROPY per applied source (%d traced, %d in "
                  "the report)" % (len(adds), len(phase1) + len(kms)))
    traced = [(a.size, a.credit, a.result) for a in adds]
    claimed = [(s["bytes"], s["credit_bits"], 0) for s in phase1 + kms]
    checks.expect(sorted(traced[:len(phase1)]) == sorted(claimed[:len(phase1)]),
                  "phase-1 additions reached the kernel with the report's sizes and credits "
                  "(kernel: %r, report: %r)" % (traced[:len(phase1)], claimed[:len(phase1)]))
    kms_traced = traced[len(phase1):]
    checks.expect(kms_traced and all(c == 8 * n and r == 0 for n, c, r in kms_traced)
                  and sum(n for n, _, _ in kms_traced) == report["kms"]["bytes"],
                  "the KMS bytes were accepted by the kernel with 8 bits a byte (%r)" % kms_traced)

    check_phase1_first(timeline, len(phase1), checks)

    # Where the crng became ready, as the kernel saw it, and what the report says.
    done = timeline.crng_init_done
    dmesg = guest.section("dmesg")
    if cold:
        checks.expect("random: crng init done" in dmesg and done is not None,
                      "the kernel logged 'random: crng init done' while ec2seed ran")
    if case == "phase1":
        check_phase1_unblocks(timeline, len(phase1), checks)
    check_cause_claims(report, timeline, phase1, checks)

    check_kms_took_effect(timeline, len(phase1), cold, checks)
    check_kernel_claims(kernel, timeline, checks)

    # The emulator saw the guest's requests, addressed as the guest addressed them.
    check_emulator_log(report, emulator_log, checks)


def check_phase1_first(timeline, phase1_count, checks):
    """Phase 1 reached the kernel before the first draw (the TLS library seeding
    itself): on an unready crng that starts the kernel's own jitter entropy, which
    would hide what phase 1 did."""
    adds = timeline.adds()
    first_draw = timeline.first_draw()
    last_phase1 = adds[phase1_count - 1] if 0 < phase1_count <= len(adds) else None
    checks.expect(last_phase1 is not None and
                  (first_draw is None or timeline.index(last_phase1) < timeline.index(first_draw)),
                  "every phase-1 RNDADDENTROPY precedes the first draw that could start the "
                  "kernel's jitter (the TLS library's seeding: %r)"
                  % first_draw)


def check_phase1_unblocks(timeline, phase1_count, checks):
    """With 256 bits of phase-1 credit, the crng turns ready inside a phase-1
    RNDADDENTROPY, before any draw."""
    done = timeline.crng_init_done
    inside = done[1] if done else None
    first_draw = timeline.first_draw()
    checks.expect(inside is not None and inside in timeline.adds()[:phase1_count]
                  and (first_draw is None or timeline.index(inside) < timeline.index(first_draw)),
                  "'crng init done' came inside a phase-1 RNDADDENTROPY, before any draw "
                  "(inside %r)" % inside)


def check_kms_took_effect(timeline, phase1_count, cold, checks):
    """The KMS bytes must reach the crng at once: either their credit is what made it
    ready (the kernel reseeds as it turns ready), or ec2seed reseeds after them. Since
    Linux 5.18 credit given to a ready crng waits for the next scheduled reseed."""
    adds = timeline.adds()
    kms_adds = adds[phase1_count:]
    if not kms_adds:
        checks.expect(False, "the kernel traced no KMS addition")
        return

    done = timeline.crng_init_done
    ready_by_kms = done is not None and done[1] in kms_adds
    ready_before_kms = not cold or (done is not None and not ready_by_kms
                                    and done[0] <= timeline.index(kms_adds[0]))
    reseeds = [c for c in timeline.calls if c.is_reseed() and c.result == 0
               and timeline.index(c) > timeline.index(kms_adds[-1])]
    if ready_before_kms:
        checks.expect(bool(reseeds), "the crng was ready before the KMS bytes arrived, and "
                      "the kernel traced RNDRESEEDCRNG after them, returning 0")
    else:
        checks.expect(ready_by_kms or bool(reseeds),
                      "the KMS bytes took effect at once (their credit made the crng ready, "
                      "or a reseed followed them)")


def check_kernel_claims(kernel, timeline, checks):
    """What the report's kernel section says must be what the kernel answered."""
    probes = [c for c in timeline.calls if c.is_crng_probe()]
    if len(probes) < 2:
        checks.expect(False, "the kernel traced ec2seed's crng probes before and after "
                      "(%d probes)" % len(probes))
        return

    # getrandom(1 byte, GRND_NONBLOCK) returns 1 when ready, -EAGAIN (-11) when not.
    checks.expect(kernel.get("crng_ready_before") is (probes[0].result == 1),
                  "crng_ready_before=%r is what the kernel answered ec2seed's first probe (%s)"
                  % (kernel.get("crng_ready_before"), probes[0].result))
    checks.expect(kernel.get("crng_ready_after") is (probes[-1].result == 1),
                  "crng_ready_after=%r is what the kernel answered ec2seed's last probe (%s)"
                  % (kernel.get("crng_ready_after"), probes[-1].result))
    reseeded = any(c.is_reseed() and c.result == 0 for c in timeline.calls)
    checks.expect(kernel.get("reseeded") is reseeded,
                  "reseeded=%r matches the kernel's trace (RNDRESEEDCRNG succeeded: %s)"
                  % (kernel.get("reseeded"), reseeded))


def crng_ready_cause(timeline, phase1_count):
    """What the kernel's trace says turned the crng ready while ec2seed ran:
    "imds" or "kms" (inside one of ec2seed's RNDADDENTROPY calls), "other" (anything
    else: the kernel's jitter inside a blocking getrandom, interrupts), or None (it
    did not turn ready while ec2seed ran)."""
    done = timeline.crng_init_done
    if done is None:
        return None
    inside = done[1]
    if inside is not None and inside.is_add():
        return "imds" if timeline.adds().index(inside) < phase1_count else "kms"
    return "other"


def check_cause_claims(report, timeline, phase1, checks):
    """The report never claims a cause the kernel did not show, and when the crng
    turned ready by something other than ec2seed's credit, it says so.

    The cause is read from the kernel section's field whose name holds "cause" or
    "ready_by": a source name ("imds/mac", "kms/generate-random") when an addition
    of ec2seed's turned the crng ready, anything naming no source otherwise."""
    kernel = report.get("kernel") or {}
    claims = {k: v for k, v in kernel.items() if "cause" in k or "ready_by" in k}
    seen = crng_ready_cause(timeline, len(phase1))
    log("trace: the crng turned ready while ec2seed ran by: %s" % seen)

    if seen == "other":
        checks.expect(bool(claims) and all(v for v in claims.values()),
                      "the report says the crng turned ready by something other than "
                      "ec2seed's credit (kernel section: %s)" % json.dumps(kernel))
    for key, value in claims.items():
        text = json.dumps(value).lower()
        names = {"imds" if "imds/" in text else None, "kms" if "kms/" in text else None}
        names.discard(None)
        if seen in ("imds", "kms"):
            agrees = names == {seen}
        else:
            agrees = not names
        checks.expect(agrees, "the report's kernel.%s=%s agrees with the kernel's trace (%s)"
                      % (key, json.dumps(value), seen))


def check_emulator_log(report, entries, checks):
    requests = [e for e in entries if e.get("event") == "request"]

    def host(entry):
        return next((v for n, v in entry["headers"] if n.lower() == "host"), "")

    imds = [e for e in requests if e["service"] == "imds"]
    kms = [e for e in requests if e["service"] == "kms"]
    checks.expect(any(e["method"] == "PUT" and e["path"] == "/latest/api/token" for e in imds),
                  "the emulator logged the guest's IMDSv2 token request")
    for path in ("/latest/meta-data/instance-id", "/latest/meta-data/local-ipv4",
                 "/latest/meta-data/mac", "/latest/dynamic/instance-identity/signature",
                 "/latest/meta-data/iam/security-credentials/"):
        checks.expect(any(e["method"] == "GET" and e["path"] == path and e["status"] == 200
                          for e in imds),
                      "the emulator logged the guest's GET %s, answered 200" % path)
    checks.expect(imds and all(host(e).split(":")[0] == IMDS_ADDR for e in imds),
                  "every IMDS request was addressed to %s (as the guest sent it)" % IMDS_ADDR)
    generate = [e for e in kms if e["method"] == "POST" and e["status"] == 200 and any(
        n.lower() == "x-amz-target" and v == "TrentService.GenerateRandom"
        for n, v in e["headers"])]
    checks.expect(len(generate) == report.get("kms", {}).get("calls"),
                  "the emulator logged %d GenerateRandom calls answered 200 (report: %s)"
                  % (len(generate), report.get("kms", {}).get("calls")))
    checks.expect(kms and all(host(e).split(":")[0] == KMS_ADDR for e in kms),
                  "every KMS request was addressed to %s (as the guest sent it)" % KMS_ADDR)


def check_no_secret(output, secrets, checks):
    """No secret the emulator handed out (see Emulator.secrets) reaches the guest's
    output: ec2seed's report, its log at -v, the kernel's log."""
    leaked = sorted({name for name, value in secrets if value and value in output})
    checks.expect(secrets and not leaked,
                  "none of the %d secret values the emulator handed out appears in the "
                  "guest's output (leaked: %s)" % (len(secrets), ", ".join(leaked) or "none"))


def run_case(args):
    case = args.case
    reason = qemu_can_run()
    if reason:
        log("SKIPPED: qemu cannot run here: " + reason)
        return SKIP

    work = os.path.abspath(os.path.join(args.work, case))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    kernel = cached_kernel(args.cache)
    image = os.path.join(kernel, "vmlinux")
    if not os.path.exists(image):
        image = os.path.join(kernel, "vmlinuz")

    with start_emulator() as emulator:
        case_script = "EC2SEED_ARGS='%s'\nGUEST_ADDR=%s\nGATEWAY=%s\n" % (
            " ".join(ec2seed_arguments(case)), GUEST_ADDR, GATEWAY)
        initramfs = os.path.join(work, "initramfs.cpio")
        build_initramfs(initramfs, kernel, args.ec2seed, args.probe, emulator.ca, case_script)
        output = run_qemu(image, initramfs, kernel_command_line(case),
                          netdev_option(emulator.info["imds_port"], emulator.info["kms_port"]),
                          ["-cpu", "max"], work)
        entries = emulator.log()
        secrets = served_secrets(emulator)
        shutil.copy(emulator.info["log"], os.path.join(work, "emulator-requests.jsonl"))
    # The request log is kept in the work folder; the rest holds secrets.
    shutil.rmtree(emulator.state_dir, ignore_errors=True)

    guest = GuestOutput(output)
    if guest.values.get("finished") != "yes":
        console = _read(os.path.join(work, "console.log")).splitlines()
        raise CheckFailed("the guest did not finish init.sh; its output:\n%s\nthe end of "
                          "its console:\n%s" % (output, "\n".join(console[-40:])))
    log("guest: entropy_avail %s at init, %s after; ec2seed exit %s"
        % (guest.values.get("init_entropy_avail"), guest.values.get("after_entropy_avail"),
           guest.values.get("ec2seed_exit")))
    log("guest uptime (s): init %s, network up %s, ec2seed started %s, ended %s"
        % tuple(guest.values.get("uptime_" + stage)
                for stage in ("init", "network", "ec2seed_start", "ec2seed_end")))
    print("--- ec2seed's report\n" + guest.section("report"))
    print("--- ec2seed's log\n" + guest.section("stderr"))
    timeline = Timeline(parse_trace(guest.section("trace")))
    print("--- the kernel's log, random lines\n" + "\n".join(
        line for line in guest.sections.get("dmesg", []) if "random" in line))
    print("--- ec2seed's random-device and getrandom calls, in kernel order\n"
          + timeline.describe())
    if timeline.crng_init_done:
        print("    'crng init done' after call %d" % timeline.crng_init_done[0])

    try:
        report = json.loads(guest.section("report"))
    except ValueError:
        raise CheckFailed("ec2seed's report is not JSON:\n" + guest.section("report"))

    checks = Checks()
    untraced = re.findall(r"^trace_failed=(.*)$", output, re.MULTILINE)
    checks.expect(not untraced, "the guest kernel traced every event the checks read "
                  "(missing: %s)" % (", ".join(untraced) or "none"))
    check_guest(case, guest, report, timeline, entries, checks)
    check_no_secret(output, secrets, checks)
    if checks.failures:
        log("%d check(s) failed; everything is in %s" % (len(checks.failures), work))
        return 1
    log("case %s passed" % case)
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch-kernel")
    fetch.add_argument("--cache", required=True)
    run = commands.add_parser("run")
    run.add_argument("case", choices=sorted(CASES))
    run.add_argument("--cache", required=True)
    run.add_argument("--work", required=True)
    run.add_argument("--ec2seed", required=True)
    run.add_argument("--probe", required=True, help="the static getrandom probe")
    args = parser.parse_args(argv)

    try:
        if args.command == "fetch-kernel":
            reason = qemu_can_run()
            if reason:
                log("SKIPPED: qemu cannot run here: " + reason)
                return SKIP
            log("kernel ready in " + fetch_kernel(args.cache))
            return 0
        return run_case(args)
    except CheckFailed as failure:
        log("FAIL: %s" % failure)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
