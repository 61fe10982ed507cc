/*
 * qemuutil: forward declarations of the types shared across headers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A header that only passes pointers around includes this instead of the
 * defining header.  The names are QEMU 10.0's; only the ones the event-loop
 * subsystem and its users touch are listed.
 */
#ifndef QEMU_TYPEDEFS_H
#define QEMU_TYPEDEFS_H

typedef struct AioContext AioContext;
typedef struct BlockBackend BlockBackend;
typedef struct BlockDriverState BlockDriverState;
typedef struct Error Error;
typedef struct EventNotifier EventNotifier;
typedef struct Notifier Notifier;
typedef struct NotifierList NotifierList;
typedef struct Object Object;
typedef struct ObjectClass ObjectClass;
typedef struct QEMUBH QEMUBH;
typedef struct QEMUFile QEMUFile;
typedef struct QemuMutex QemuMutex;
typedef struct QemuOpts QemuOpts;
typedef struct QemuSpin QemuSpin;
typedef struct QEMUTimer QEMUTimer;
typedef struct QEMUTimerListGroup QEMUTimerListGroup;
typedef struct Visitor Visitor;

/* Lock and unlock callbacks of a QemuLockable (see qemu/lockable.h). */
typedef void QemuLockUnlockFunc(void *);

#endif /* QEMU_TYPEDEFS_H */
