#!/bin/bash
# Build the original QEMU 10.0.13 libqemuutil.a (tools configuration) out of
# tree, so the benches can link the same bench source against it and report
# ratios measured in the same run.  Cached: a second run only checks.
#
# Usage: scripts/qemu-ref-build.sh   -> prints the build directory
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/deps.sh" qemu
# shellcheck source=qemu-env.sh
. "$here/qemu-env.sh"

out="$QEMUUTIL_CACHE/qemu-ref-build"
if [ ! -f "$out/build.ninja" ]; then
    rm -rf "$out" && mkdir -p "$out"
    (cd "$out" && "$QEMU_SRC/configure" --python=/usr/bin/python3 \
        "${QEMU_TOOLS_CONFIG[@]}" >configure.log 2>&1) || {
        tail -n 30 "$out/configure.log" >&2
        echo "qemu-ref-build: configure failed (log: $out/configure.log)" >&2
        exit 1
    }
fi
ninja -C "$out" libqemuutil.a >&2
echo "$out"
