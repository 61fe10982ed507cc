# qemuutil._errors: the one place where shim error codes become exceptions.
# SPDX-License-Identifier: GPL-2.0-or-later
"""Exceptions of the qemuutil package.

Every shim function reports failure as a negative code (``-errno`` on
Linux); :func:`check` turns it into a :class:`QemuUtilError`, a subclass of
:class:`OSError` whose ``errno`` is the positive code and whose ``name`` is
the shim's symbolic name (``"EEXIST"``).  Some codes get a more specific
subclass so callers can catch them by kind.
"""

from . import _native


class QemuUtilError(OSError):
    """A qemuutil call failed; ``errno``/``strerror`` as for OSError."""

    def __init__(self, code, what=None):
        text = _native.qemuutil_ffi_strerror(code)
        if what:
            text = "%s: %s" % (what, text)
        super().__init__(-code, text)
        self.code = code
        self.name = _native.qemuutil_ffi_error_name(code)


class BusyError(QemuUtilError):
    """The object is already in use (EBUSY, EEXIST)."""


class WrongThreadError(QemuUtilError):
    """The call is not allowed from this thread (EPERM)."""


_CLASSES = {
    _native.QEMUUTIL_FFI_EBUSY: BusyError,
    _native.QEMUUTIL_FFI_EEXIST: BusyError,
    _native.QEMUUTIL_FFI_EPERM: WrongThreadError,
}


def check(rc, what=None):
    """Return *rc* if it is not negative, else raise the matching error."""
    if rc >= 0:
        return rc
    raise _CLASSES.get(rc, QemuUtilError)(rc, what)
