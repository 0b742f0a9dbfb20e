/* Says whether the guest kernel's crng is ready, without waiting for it: prints
 * "ready" when getrandom(GRND_NONBLOCK) returns bytes, "not-ready" when it says
 * EAGAIN, "error:<errno text>" otherwise. Built static for the boot test's initramfs.
 * A blocking call would start the kernel's own jitter entropy and spoil the test. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int main(void) {
    unsigned char byte = 0;

    if (getrandom(&byte, sizeof byte, GRND_NONBLOCK) == (ssize_t)sizeof byte) {
        puts("ready");
        return 0;
    }

    if (errno == EAGAIN) {
        puts("not-ready");
        return 0;
    }

    printf("error:%s\n", strerror(errno));
    return 1;
}
