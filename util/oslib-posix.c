/*
 * qemuutil: small POSIX host helpers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include <sys/syscall.h>

/*
 * The kernel's id for the calling thread (what ps -L, /proc/<pid>/task
 * and gdb show).  Thread-safe.
 */
int qemu_get_thread_id(void)
{
#if defined(SYS_gettid)
    return (int)syscall(SYS_gettid);
#else
    return getpid();
#endif
}

void *qemu_alloc_stack(size_t *sz)
{
    size_t page = qemu_real_host_page_size();
    size_t total = (*sz + page - 1) / page * page + page;
    void *base;

    base = mmap(NULL, total, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        fprintf(stderr, "qemu_alloc_stack: cannot map a %zu byte stack: "
                "%s\n", total, strerror(errno));
        abort();
    }
    /* Stacks grow down: an overflow runs into the lowest page and faults. */
    if (mprotect(base, page, PROT_NONE) != 0) {
        fprintf(stderr, "qemu_alloc_stack: cannot protect the guard page: "
                "%s\n", strerror(errno));
        abort();
    }
    *sz = total;
    return base;
}

void qemu_free_stack(void *stack, size_t sz)
{
    munmap(stack, sz);
}
