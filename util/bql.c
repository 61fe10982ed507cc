/*
 * qemuutil: the Big QEMU Lock for the standalone library.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Standalone only, not part of the swap set: in a QEMU tree the BQL comes
 * from system/cpus.c (emulators) or stubs/iothread-lock.c (tools, where it
 * is a no-op and bql_locked() is always false).  util/main-loop.c and
 * util/async.c only call these functions.
 *
 * Here the BQL is a real mutex plus a per-thread "I hold it" flag, as in
 * the system emulator:
 *  - bql_locked() reads the calling thread's flag, so a thread that does
 *    not hold the lock gets false.  qemu_get_current_aio_context() relies on
 *    that: a plain worker thread must see NULL, not the main context.
 *  - Taking it twice in a thread, or releasing it without holding it, is a
 *    caller bug and aborts with a message.
 *  - bql_block_unlock() keeps a count, protected by the BQL itself, of
 *    sections in which bql_unlock() is forbidden.
 */
#include "qemu/osdep.h"
#include "qemu/coroutine-tls.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"

/* The lock; initialised before main() by bql_init(). */
static QemuMutex bql;

/*
 * Whether this thread holds the BQL.  Coroutine TLS: a coroutine that
 * yields in one thread and resumes in another must read the flag of the
 * thread it runs in now.
 */
QEMU_DEFINE_STATIC_CO_TLS(bool, bql_held)

/* Nesting of bql_block_unlock(true); protected by the BQL. */
static unsigned int bql_unlock_blocked;

static void __attribute__((constructor)) bql_init(void)
{
    qemu_mutex_init(&bql);
}

static void __attribute__((noreturn)) bql_misuse(const char *what)
{
    fprintf(stderr, "qemuutil: BQL misuse: %s\n", what);
    abort();
}

bool bql_locked(void)
{
    return get_bql_held();
}

void bql_lock_impl(const char *file, int line)
{
    if (get_bql_held()) {
        bql_misuse("bql_lock() called by a thread that already holds the "
                   "BQL (it is not recursive; use BQL_LOCK_GUARD())");
    }
    /* Through the hook, so that lock profiling (qsp) can count it. */
    bql_mutex_lock_func(&bql, file, line);
    set_bql_held(true);
}

void bql_unlock(void)
{
    if (!get_bql_held()) {
        bql_misuse("bql_unlock() called by a thread that does not hold "
                   "the BQL");
    }
    if (bql_unlock_blocked) {
        bql_misuse("bql_unlock() called inside a bql_block_unlock(true) "
                   "section");
    }
    set_bql_held(false);
    qemu_mutex_unlock(&bql);
}

void bql_block_unlock(bool increase)
{
    if (!get_bql_held()) {
        bql_misuse("bql_block_unlock() called without holding the BQL");
    }
    if (increase) {
        if (bql_unlock_blocked == UINT_MAX) {
            bql_misuse("bql_block_unlock(true) nested too deeply");
        }
        bql_unlock_blocked++;
    } else {
        if (bql_unlock_blocked == 0) {
            bql_misuse("bql_block_unlock(false) without a matching "
                       "bql_block_unlock(true)");
        }
        bql_unlock_blocked--;
    }
}

void rust_bql_mock_lock(void)
{
    /*
     * QEMU's stub just flips bql_locked() to true.  With a real lock the
     * consistent equivalent is to hold it.
     */
    if (!get_bql_held()) {
        bql_lock();
    }
}

bool qemu_in_main_thread(void)
{
    AioContext *main_ctx = qemu_get_aio_context();

    /*
     * Either rule of QEMU: the thread that runs the main AioContext (the
     * tools' rule), or any thread holding the BQL (the emulators' rule).
     */
    if (get_bql_held()) {
        return true;
    }
    return main_ctx && qemu_get_current_aio_context() == main_ctx;
}

void qemu_cond_wait_bql(QemuCond *cond)
{
    if (!get_bql_held()) {
        bql_misuse("qemu_cond_wait_bql() called without holding the BQL");
    }
    /* The flag stays set: this thread owns the lock again on return. */
    qemu_cond_wait(cond, &bql);
}

void qemu_cond_timedwait_bql(QemuCond *cond, int ms)
{
    if (!get_bql_held()) {
        bql_misuse("qemu_cond_timedwait_bql() called without holding the "
                   "BQL");
    }
    qemu_cond_timedwait(cond, &bql, ms);
}
