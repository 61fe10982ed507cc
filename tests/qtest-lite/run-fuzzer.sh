#!/bin/sh
# Run a libFuzzer target for a bounded time or number of inputs and report
# the result as one TAP test point, with libFuzzer's figures (executions,
# coverage) as a comment.
# Usage: run-fuzzer.sh FUZZER SEED_DIR WORK_DIR [libFuzzer options...]
# New inputs go to WORK_DIR, never into the seed corpus in the source tree.
# SPDX-License-Identifier: GPL-2.0-or-later
fuzzer=$1 seeds=$2 work=$3
shift 3
name=$(basename "$fuzzer")
mkdir -p "$work"
log="$work.log"
echo "TAP version 13"
echo "1..1"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} \
    "$fuzzer" -artifact_prefix="$work/" -print_final_stats=1 "$@" \
    "$work" "$seeds" >"$log" 2>&1
rc=$?
stats=$(grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" |
        sed 's/^stat:://' | tr -s ' \n' '  ')
cov=$(grep -E '^#[0-9]+.*(DONE|INITED)' "$log" | tail -n 1 |
      sed -n 's/.*\(cov: [0-9]*\).*\(ft: [0-9]*\).*/\1 \2/p')
if [ $rc -eq 0 ]; then
    echo "ok 1 - $name: $stats$cov"
else
    echo "not ok 1 - $name: exit $rc; see $log"
    tail -n 40 "$log" | sed 's/^/# /'
fi
echo "# $name $stats$cov"
exit $rc
