/*
 * qemuutil: ThreadSanitizer annotations.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The QEMU_TSAN_ANNOTATE_* macros of QEMU 10.0's include/qemu/tsan.h.  In
 * a ThreadSanitizer build (CONFIG_TSAN, set by meson for
 * -Db_sanitize=thread) they call the dynamic-annotation entry points that
 * the TSan runtime exports; otherwise they expand to nothing.
 *
 *  - HAPPENS_BEFORE(addr) / HAPPENS_AFTER(addr): declare an ordering edge
 *    that TSan cannot see (e.g. through a futex or an eventfd), keyed on
 *    @addr.
 *  - THREAD_NAME(name): name the current thread in reports.
 *  - IGNORE_READS/WRITES_BEGIN/END: bracket intentionally racy accesses.
 */
#ifndef QEMU_TSAN_H
#define QEMU_TSAN_H

#ifdef CONFIG_TSAN

/*
 * Entry points exported by the TSan runtime (libtsan / compiler-rt), each
 * followed by the macro that calls it with the caller's location.
 */
void AnnotateThreadName(const char *f, int l, char *name);
#define QEMU_TSAN_ANNOTATE_THREAD_NAME(name) \
    AnnotateThreadName(__FILE__, __LINE__, (char *)(name))

void AnnotateHappensBefore(const char *f, int l, void *addr);
#define QEMU_TSAN_ANNOTATE_HAPPENS_BEFORE(addr) \
    AnnotateHappensBefore(__FILE__, __LINE__, (void *)(addr))

void AnnotateHappensAfter(const char *f, int l, void *addr);
#define QEMU_TSAN_ANNOTATE_HAPPENS_AFTER(addr) \
    AnnotateHappensAfter(__FILE__, __LINE__, (void *)(addr))

void AnnotateIgnoreReadsBegin(const char *f, int l);
#define QEMU_TSAN_ANNOTATE_IGNORE_READS_BEGIN() \
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__)

void AnnotateIgnoreReadsEnd(const char *f, int l);
#define QEMU_TSAN_ANNOTATE_IGNORE_READS_END() \
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__)

void AnnotateIgnoreWritesBegin(const char *f, int l);
#define QEMU_TSAN_ANNOTATE_IGNORE_WRITES_BEGIN() \
    AnnotateIgnoreWritesBegin(__FILE__, __LINE__)

void AnnotateIgnoreWritesEnd(const char *f, int l);
#define QEMU_TSAN_ANNOTATE_IGNORE_WRITES_END() \
    AnnotateIgnoreWritesEnd(__FILE__, __LINE__)

#else /* !CONFIG_TSAN: the annotations compile away */

#define QEMU_TSAN_ANNOTATE_THREAD_NAME(name)
#define QEMU_TSAN_ANNOTATE_IGNORE_READS_BEGIN()
#define QEMU_TSAN_ANNOTATE_IGNORE_READS_END()
#define QEMU_TSAN_ANNOTATE_IGNORE_WRITES_BEGIN()
#define QEMU_TSAN_ANNOTATE_IGNORE_WRITES_END()
#define QEMU_TSAN_ANNOTATE_HAPPENS_BEFORE(addr)
#define QEMU_TSAN_ANNOTATE_HAPPENS_AFTER(addr)

#endif /* CONFIG_TSAN */

#endif /* QEMU_TSAN_H */
