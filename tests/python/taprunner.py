# taprunner: a minimal unittest runner that prints flat TAP version 13.
# SPDX-License-Identifier: GPL-2.0-or-later
"""Flat TAP 13 for meson 1.0 (which does not parse TAP 14 subtests):
a version line, the plan, one ``ok``/``not ok`` line per test with
``# SKIP`` / ``# TODO`` directives, tracebacks as ``#`` comments, and a
closing ``N passed, N failed`` comment.  Exit status 0 only if nothing
failed.  Debian has no pycotap, hence this file."""

import sys
import unittest


class TAPResult(unittest.TestResult):
    def __init__(self, stream):
        super().__init__()
        self.stream = stream
        self.n = 0
        self.passed = 0

    def _line(self, text):
        self.stream.write(text + "\n")
        self.stream.flush()

    def _diag(self, text):
        for line in str(text).rstrip("\n").splitlines():
            self._line("# " + line)

    def _name(self, test):
        return test.id().replace("#", "-")

    def addSuccess(self, test):
        super().addSuccess(test)
        self.n += 1
        self.passed += 1
        self._line("ok %d - %s" % (self.n, self._name(test)))

    def _fail(self, test, err, kind):
        self.n += 1
        self._line("not ok %d - %s" % (self.n, self._name(test)))
        self._diag("%s: %s" % (kind, self._exc_info_to_string(err, test)))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err, "FAIL")

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err, "ERROR")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.n += 1
        self._line("ok %d - %s # SKIP %s" % (self.n, self._name(test),
                                            reason.replace("\n", " ")))

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.n += 1
        self._line("not ok %d - %s # TODO expected failure" %
                   (self.n, self._name(test)))

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.n += 1
        self._line("not ok %d - %s # unexpected success" %
                   (self.n, self._name(test)))


def run(suite, stream=None, skip_all=None):
    """Run *suite*, print TAP to *stream* (stdout); return the exit code.
    With *skip_all* (a reason), print a skipped plan instead."""
    stream = stream or sys.stdout
    stream.write("TAP version 13\n")
    if skip_all:
        stream.write("1..0 # SKIP %s\n" % skip_all)
        return 0
    stream.write("1..%d\n" % suite.countTestCases())
    stream.flush()
    result = TAPResult(stream)
    suite.run(result)
    failed = len(result.failures) + len(result.errors) + \
        len(result.unexpectedSuccesses)
    stream.write("# %d passed, %d failed\n" % (result.passed, failed))
    return 1 if failed else 0
