#!/bin/busybox sh
# The boot test's guest init: brings up the network by hand, runs ec2seed once with
# the kernel sink while the kernel traces its random-device calls, writes what it saw
# to the second serial port (ttyS1) in marked sections, and powers off.
# /etc/boot-case.sh (written by boot_test.py) sets EC2SEED_ARGS, GUEST_ADDR, GATEWAY.

/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tracefs tracefs /sys/kernel/tracing
mkdir -p /tmp
mount -t tmpfs tmpfs /tmp

. /etc/boot-case.sh
out=/dev/ttyS1
stty -F "$out" raw -echo 2>/dev/null

section() {
    echo "=== $1"
    cat "$2"
    echo "=== end $1"
}

value() {
    echo "$1=$2"
}

# Seconds since the kernel started, to see where a slow boot spends its time.
stage() {
    value "uptime_$1" "$(cut -d' ' -f1 /proc/uptime)"
}

pool_state() {
    value "$1_entropy_avail" "$(cat /proc/sys/kernel/random/entropy_avail)"
    value "$1_getrandom_nonblock" "$(/usr/bin/getrandom-probe)"
}

{
    stage init
    pool_state init

    # virtio-net is a module in Debian's kernel: its dependencies load first.
    for module in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci \
                  failover net_failover virtio_net; do
        insmod "/lib/modules/$module.ko" || value insmod_failed "$module"
    done

    ip link set lo up
    ip link set eth0 up
    ip addr add "$GUEST_ADDR/16" dev eth0
    ip route add default via "$GATEWAY"
    value network "$(ip -o addr show dev eth0 | grep -o 'inet [0-9./]*')"
    stage network
} >"$out" 2>&1

# One timeline from the kernel: the random-device ioctls (add entropy, get count,
# reseed) and the getrandom calls of every process, with the kernel's own messages
# ("random: crng init done") in between. One vCPU, so the order is exact.
T=/sys/kernel/tracing
{
    echo 4096 >"$T/buffer_size_kb"
    # RNDGETENTCNT 0x80045200, RNDADDENTROPY 0x40085203, RNDRESEEDCRNG 0x5207
    echo 'cmd == 0x80045200 || cmd == 0x40085203 || cmd == 0x5207' \
        >"$T/events/syscalls/sys_enter_ioctl/filter"
    for event in syscalls/sys_enter_ioctl syscalls/sys_exit_ioctl \
                 syscalls/sys_enter_getrandom syscalls/sys_exit_getrandom printk/console; do
        echo 1 >"$T/events/$event/enable" || value trace_failed "$event"
    done

    # The credit each RNDADDENTROPY asks for, read from the caller's rand_pool_info.
    echo 'p:ec2seedboot/random_ioctl random_ioctl cmd=%si:x32 credit=+u0(%dx):s32' \
         'size=+u4(%dx):s32' >>"$T/kprobe_events" &&
        echo 'cmd == 0x40085203' >"$T/events/ec2seedboot/random_ioctl/filter" &&
        echo 1 >"$T/events/ec2seedboot/random_ioctl/enable" || value trace_failed random_ioctl
    # Reads of /dev/urandom and /dev/random (a library may seed from them instead of
    # getrandom), and the start of the kernel's own jitter entropy.
    for probe in urandom_read_iter random_read_iter try_to_generate_entropy; do
        echo "p:ec2seedboot/$probe $probe" >>"$T/kprobe_events" &&
            echo 1 >"$T/events/ec2seedboot/$probe/enable" || value trace_failed "$probe"
    done
} >"$out" 2>&1
echo 1 >"$T/tracing_on"
stage ec2seed_start >"$out"

# ec2seed itself. Its standard error is kept apart from the report.
/usr/sbin/ec2seed $EC2SEED_ARGS >/tmp/report 2>/tmp/stderr
status=$?

echo 0 >"$T/tracing_on"

{
    stage ec2seed_end
    value ec2seed_exit "$status"
    pool_state after
    section report /tmp/report
    section stderr /tmp/stderr
    cat "$T/trace" >/tmp/trace
    section trace /tmp/trace
    dmesg >/tmp/dmesg
    section dmesg /tmp/dmesg
    value finished yes
} >"$out" 2>&1

sync
poweroff -f
