# qtest_loader: import qemuutil.qtest for the qtest-lite Python tests.
# SPDX-License-Identifier: GPL-2.0-or-later
"""qemuutil/qtest.py is pure Python, but importing it as part of the
package would load the SWIG module too; the qtest tests must run without
it.  So load the file by path ($QEMUUTIL_QTEST_PY, else the source tree).
Also runs a test module through the in-tree TAP runner."""

import importlib.util
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import taprunner                                            # noqa: E402


def load_qtest():
    path = os.environ.get("QEMUUTIL_QTEST_PY") or os.path.join(
        HERE, "..", "..", "bindings", "python", "qemuutil", "qtest.py")
    spec = importlib.util.spec_from_file_location("qemuutil_qtest", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(module):
    if not os.environ.get("QTEST_VMM_MINI"):
        sys.exit(taprunner.run(None, skip_all="QTEST_VMM_MINI is not set"))
    suite = unittest.TestLoader().loadTestsFromModule(module)
    sys.exit(taprunner.run(suite))
