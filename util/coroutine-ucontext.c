/*
 * qemuutil: coroutine stack switching with ucontext and sigsetjmp.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * makecontext() is the portable way to run a function on a stack of our
 * own, but swapcontext() saves and restores the signal mask with a system
 * call on every switch.  So ucontext is used exactly once per coroutine:
 * the first switch to a new coroutine setcontext()s into its start
 * function.  From then on every switch is a sigsetjmp() of the current
 * side followed by a siglongjmp() to the other (signal mask untouched, so
 * no system call).  The start function loops: when the entry function
 * returns it switches away with COROUTINE_TERMINATE, and if the coroutine
 * is recycled from the pool the next enter resumes right there and runs
 * the new entry function on the same stack.
 *
 * Each thread has a "leader" object standing for its normal stack; it is
 * what qemu_coroutine_self() returns outside coroutines.
 *
 * Sanitizers and valgrind are told about every stack switch (they would
 * otherwise see the stack pointer jump between unknown regions): ASan
 * fiber annotations under CONFIG_ASAN_IFACE_FIBER, TSan fibers under
 * CONFIG_TSAN, stack registration under CONFIG_VALGRIND_H.
 */

/*
 * Before osdep.h on purpose: QEMU's osdep.h turns on _FORTIFY_SOURCE=2 in
 * optimised builds, and glibc's fortified siglongjmp() (longjmp_chk)
 * aborts with "longjmp causes uninitialized stack frame" whenever the
 * target frame lives on another stack, which is every switch made here.
 */
#undef _FORTIFY_SOURCE
#define _FORTIFY_SOURCE 0
#include "qemu/osdep.h"
#include <setjmp.h>
#include <ucontext.h>
#include "qemu/coroutine-tls.h"
#include "qemu/coroutine_int.h"

#ifdef CONFIG_VALGRIND_H
#include <valgrind/valgrind.h>
#endif
/*
 * QEMU's configure defines CONFIG_ASAN_IFACE_FIBER whenever the header
 * exists; only call into ASan when this file is really built with it.
 */
#if defined(CONFIG_ASAN_IFACE_FIBER) && defined(__SANITIZE_ADDRESS__)
#define CO_ASAN_FIBERS 1
#elif defined(CONFIG_ASAN_IFACE_FIBER) && defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CO_ASAN_FIBERS 1
#endif
#endif
#ifdef CO_ASAN_FIBERS
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef CONFIG_TSAN
#include <sanitizer/tsan_interface.h>
#endif

typedef struct CoroutineUC {
    Coroutine base;

    /* Whole stack mapping (guard page included); NULL for a leader. */
    void *stack;
    size_t stack_size;

    /* Where a switch back to this coroutine resumes. */
    sigjmp_buf env;

    /* False until the first switch in, which uses @start_uc. */
    bool started;
    ucontext_t start_uc;

#ifdef CONFIG_TSAN
    /* TSan's fiber for this coroutine (the thread's own for a leader). */
    void *tsan_fiber;
#endif
#ifdef CONFIG_VALGRIND_H
    unsigned int valgrind_stack_id;
#endif
} CoroutineUC;

/*
 * Per-thread state.  Coroutine TLS: a coroutine resumed in another thread
 * must see that thread's variables, so their address is never cached.
 */
QEMU_DEFINE_STATIC_CO_TLS(Coroutine *, current)
QEMU_DEFINE_STATIC_CO_TLS(CoroutineUC, leader)

static CoroutineUC *uc_of(Coroutine *co)
{
    return container_of(co, CoroutineUC, base);
}

/* ---------------------------------------------------------------------- */
/* Sanitizer hooks                                                        */
/* ---------------------------------------------------------------------- */

/*
 * About to leave the current stack for @to's.  @fake_stack receives ASan's
 * fake-stack handle for the stack we leave; NULL tells ASan the stack we
 * leave is finished (the coroutine terminated) and its fake frames can go.
 */
static inline void __attribute__((always_inline))
switch_depart(CoroutineUC *to, void **fake_stack)
{
#ifdef CO_ASAN_FIBERS
    __sanitizer_start_switch_fiber(fake_stack, to->stack, to->stack_size);
#endif
#ifdef CONFIG_TSAN
    /* Flag 0: the switch synchronises, as a real context switch does. */
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
}

/* Just arrived on a stack; @fake_stack is what switch_depart() saved. */
static inline void __attribute__((always_inline))
switch_arrive(void *fake_stack)
{
#ifdef CO_ASAN_FIBERS
    CoroutineUC *leader = get_ptr_leader();
    const void *prev_bottom;
    size_t prev_size;

    __sanitizer_finish_switch_fiber(fake_stack, &prev_bottom, &prev_size);
    /*
     * A thread's first switch always starts from its leader, which is how
     * we learn the bounds of the thread's own stack (needed to switch back
     * to it).
     */
    if (!leader->stack) {
        leader->stack = (void *)prev_bottom;
        leader->stack_size = prev_size;
    }
#endif
}

/* ---------------------------------------------------------------------- */
/* Start-up                                                               */
/* ---------------------------------------------------------------------- */

/*
 * First code on a new coroutine's stack.  makecontext() only passes ints,
 * so the CoroutineUC pointer arrives as two 32-bit halves.
 */
static void coroutine_uc_start(int high, int low)
{
    uint64_t bits = ((uint64_t)(uint32_t)high << 32) | (uint32_t)low;
    Coroutine *self = &((CoroutineUC *)(uintptr_t)bits)->base;

    switch_arrive(NULL);
    for (;;) {
        self->entry(self->entry_arg);
        /* Returns only when the coroutine is reused from the pool. */
        qemu_coroutine_switch(self, self->caller, COROUTINE_TERMINATE);
    }
}

Coroutine *qemu_coroutine_new(void)
{
    CoroutineUC *co = g_new0(CoroutineUC, 1);
    uint64_t bits = (uintptr_t)co;

    co->stack_size = COROUTINE_STACK_SIZE;
    co->stack = qemu_alloc_stack(&co->stack_size);

    if (getcontext(&co->start_uc) != 0) {
        fprintf(stderr, "qemu_coroutine_new: getcontext failed: %s\n",
                strerror(errno));
        abort();
    }
    co->start_uc.uc_link = NULL;
    co->start_uc.uc_stack.ss_sp = co->stack;
    co->start_uc.uc_stack.ss_size = co->stack_size;
    co->start_uc.uc_stack.ss_flags = 0;
    makecontext(&co->start_uc, (void (*)(void))coroutine_uc_start, 2,
                (int)(uint32_t)(bits >> 32), (int)(uint32_t)bits);

#ifdef CONFIG_VALGRIND_H
    co->valgrind_stack_id =
        VALGRIND_STACK_REGISTER(co->stack, (char *)co->stack + co->stack_size);
#endif
#ifdef CONFIG_TSAN
    co->tsan_fiber = __tsan_create_fiber(0);
#endif
    return &co->base;
}

void qemu_coroutine_delete(Coroutine *co_)
{
    CoroutineUC *co = uc_of(co_);

#ifdef CONFIG_VALGRIND_H
    VALGRIND_STACK_DEREGISTER(co->valgrind_stack_id);
#endif
#ifdef CONFIG_TSAN
    __tsan_destroy_fiber(co->tsan_fiber);
#endif
    qemu_free_stack(co->stack, co->stack_size);
    g_free(co);
}

/* ---------------------------------------------------------------------- */
/* Switching                                                              */
/* ---------------------------------------------------------------------- */

/*
 * Never inlined, so that sigsetjmp() saves a frame of its own and the
 * compiler keeps nothing in registers across it that it should not.
 */
CoroutineAction __attribute__((noinline))
qemu_coroutine_switch(Coroutine *from_, Coroutine *to_,
                      CoroutineAction action)
{
    CoroutineUC *from = uc_of(from_);
    CoroutineUC *to = uc_of(to_);
    void *fake_stack = NULL;
    int resumed_with;

    set_current(to_);

    resumed_with = sigsetjmp(from->env, 0);
    if (resumed_with != 0) {
        /* Somebody switched back to @from. */
        switch_arrive(fake_stack);
        return resumed_with;
    }

    /* A terminating coroutine's fake stack is released by ASan. */
    switch_depart(to, action == COROUTINE_TERMINATE ? NULL : &fake_stack);

    if (unlikely(!to->started)) {
        assert(action == COROUTINE_ENTER);
        to->started = true;
        /*
         * setcontext() installs the mask saved in @start_uc; make it this
         * thread's current mask, which the new coroutine must inherit.
         */
        pthread_sigmask(SIG_SETMASK, NULL, &to->start_uc.uc_sigmask);
        setcontext(&to->start_uc);
        fprintf(stderr, "qemu_coroutine_switch: setcontext failed: %s\n",
                strerror(errno));
        abort();
    }
    siglongjmp(to->env, action);
}

Coroutine *qemu_coroutine_self(void)
{
    Coroutine *self = get_current();

    if (unlikely(!self)) {
        /* First call in this thread: it is running on its own stack. */
        CoroutineUC *leader = get_ptr_leader();

        leader->started = true;
#ifdef CONFIG_TSAN
        leader->tsan_fiber = __tsan_get_current_fiber();
#endif
        self = &leader->base;
        set_current(self);
    }
    return self;
}

/* Only a coroutine, never a leader, has a caller while it runs. */
bool qemu_in_coroutine(void)
{
    Coroutine *running = get_current();

    return running != NULL && running->caller != NULL;
}
