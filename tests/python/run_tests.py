#!/usr/bin/python3
# run_tests.py: run the Python binding tests against one backend, as TAP.
# SPDX-License-Identifier: GPL-2.0-or-later
"""Usage: run_tests.py --backend swig|gi [-k PATTERN]

The same test bodies (test_bindings.py) run against the SWIG-backed
package ``qemuutil`` or against ``gi.repository.QemuUtil`` (through the
adapter in backend_gi.py).  The GI run is skipped, with the reason, when
the QemuUtil-1.0 typelib cannot be loaded.  Run by meson with PYTHONPATH,
LD_LIBRARY_PATH and GI_TYPELIB_PATH pointing into the build tree."""

import argparse
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import taprunner                                            # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["swig", "gi"], default="swig")
    ap.add_argument("-k", dest="pattern", action="append")
    opts = ap.parse_args()

    import test_bindings
    try:
        test_bindings.select_backend(opts.backend)
    except test_bindings.BackendUnavailable as e:
        return taprunner.run(None, skip_all=str(e))
    loader = unittest.TestLoader()
    if opts.pattern:
        loader.testNamePatterns = ["*%s*" % p for p in opts.pattern]
    suite = loader.loadTestsFromModule(test_bindings)
    return taprunner.run(suite)


if __name__ == "__main__":
    sys.exit(main())
