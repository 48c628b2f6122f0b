/* Makes every fsync/fdatasync of the process take FSYNC_DELAY_US microseconds longer, to
 * measure group commit as if on a slower disk. Used by bench/slow-disk.sh via LD_PRELOAD. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

static void delay(void) {
    const char *us = getenv("FSYNC_DELAY_US");
    if (us) usleep((useconds_t)atoi(us));
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    delay();
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    delay();
    return real(fd);
}
