#!/usr/bin/python3
"""Summarise meson test logs (meson-logs/testlog.json) into one line.

Each TAP test program contributes its individual "ok"/"not ok" results; a
program whose meson result is a failure but whose TAP stream shows no failing
case (a crash after the last case, a timeout) counts as one more failure.
Non-TAP tests count once by their meson result.  Prints "N passed, N failed"
(", N skipped" when some were skipped) as the last line and exits 1 when
anything failed or a log is missing.
"""
import json
import re
import sys

PASS = {'OK', 'EXPECTEDFAIL'}
SKIP = {'SKIP'}

OK_RE = re.compile(r'^ok\b(.*)$')
NOT_OK_RE = re.compile(r'^not ok\b(.*)$')


def count_tap(stdout):
    passed = failed = skipped = 0
    for line in stdout.splitlines():
        line = line.strip()
        m = NOT_OK_RE.match(line)
        if m:
            if '# TODO' in m.group(1):
                passed += 1
            else:
                failed += 1
            continue
        m = OK_RE.match(line)
        if m:
            if '# SKIP' in m.group(1).upper():
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped


def main(paths):
    passed = failed = skipped = 0
    missing = False
    for path in paths:
        try:
            with open(path) as f:
                lines = [json.loads(l) for l in f if l.strip()]
        except OSError:
            print(f'testlog-summary: {path}: missing (its run did not finish)')
            missing = True
            continue
        for entry in lines:
            result = entry.get('result', 'ERROR')
            p, fl, s = count_tap(entry.get('stdout') or '')
            if p + fl + s == 0:
                if result in PASS:
                    passed += 1
                elif result in SKIP:
                    skipped += 1
                else:
                    failed += 1
                continue
            passed += p
            skipped += s
            failed += fl
            if result not in PASS and result not in SKIP and fl == 0:
                failed += 1
    line = f'{passed} passed, {failed} failed'
    if skipped:
        line += f', {skipped} skipped'
    if missing:
        failed += 1
        line = f'{passed} passed, {failed} failed' + (f', {skipped} skipped' if skipped else '')
    print(line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
