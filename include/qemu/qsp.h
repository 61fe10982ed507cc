/*
 * qemuutil: control interface of the synchronisation profiler (QSP).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Only qemu/thread.h includes this header.  In a QEMU build QEMU's own
 * util/qsp.c implements these functions; the standalone qemuutil library
 * ships a minimal util/qsp.c (see there for what it records).
 */
#ifndef QEMU_QSP_H
#define QEMU_QSP_H

/** qsp_enable: route lock operations through QSP.  Thread-safe. */
void qsp_enable(void);

/** qsp_disable: route lock operations straight to the *_impl functions. */
void qsp_disable(void);

/** qsp_is_enabled: whether lock operations currently go through QSP. */
bool qsp_is_enabled(void);

/** qsp_reset: forget everything recorded so far. */
void qsp_reset(void);

/* Sort orders for qsp_report(). */
enum QSPSortBy {
    QSP_SORT_BY_TOTAL_WAIT_TIME,    /* longest total wait first */
    QSP_SORT_BY_AVG_WAIT_TIME       /* longest average wait first */
};

/**
 * qsp_report: print up to @max_sites call sites to stdout, sorted by
 * @order, merging call sites of the same lock when @coalesce is true.
 */
void qsp_report(size_t max_sites, enum QSPSortBy order, bool coalesce);

#endif /* QEMU_QSP_H */
