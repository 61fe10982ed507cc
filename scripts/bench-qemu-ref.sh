#!/bin/bash
# Build the bench driver against QEMU 10.0.13's original libqemuutil.a, so
# `make bench` can show QEMU's rows next to qemuutil's (--peer-exe qemu=...).
# Compiles the SAME bench sources as build/bench/qemuutil-bench
# (bench-main.c, bench-sync.c, bench-aio.c, bench-coroutine.c,
# bench-threadpool.c; not the peers) with QEMU's
# include flags and config-host.h, plus bench/qemu-ref-shims.c.
#
# Usage: scripts/bench-qemu-ref.sh [OUTPUT]
#        OUTPUT defaults to build/bench/qemuutil-bench-qemu-ref.
# Prints the path of the program; exits non-zero (with the reason on
# stderr) when the reference build is unavailable.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/bench/qemuutil-bench-qemu-ref}
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

ref=$("$root/scripts/qemu-ref-build.sh" | tail -n 1) || {
    echo "bench-qemu-ref: the QEMU reference build failed" >&2
    exit 1
}
if [ ! -f "$ref/libqemuutil.a" ] || [ ! -f "$ref/compile_commands.json" ]; then
    echo "bench-qemu-ref: $ref has no libqemuutil.a or compile_commands.json" >&2
    exit 1
fi

# libqemuutil.a's main loop and thread contexts are QOM objects: tools and
# QEMU's unit tests link libqom.a as well.
ninja -C "$ref" libqom.a >&2 || {
    echo "bench-qemu-ref: building QEMU's libqom.a failed" >&2
    exit 1
}

# QEMU's own flags for one of its util/ files: include paths, defines and
# code-generation options, without the output and dependency options.
mapfile -t qflags < <(/usr/bin/python3 - "$ref" <<'PY'
import json, shlex, sys
ref = sys.argv[1]
for e in json.load(open(ref + '/compile_commands.json')):
    if e['file'].endswith('util/async.c'):
        args = e.get('arguments') or shlex.split(e['command'])
        break
else:
    sys.exit('no compile command for util/async.c')
keep, skip_next = [], False
for i, a in enumerate(args[1:]):
    if skip_next:
        skip_next = False
        continue
    if a in ('-o', '-MQ', '-MF', '-c'):
        skip_next = True
        continue
    if a in ('-MD', '-MMD') or a.endswith('.c'):
        continue
    if a.startswith(('-I', '-iquote', '-isystem', '-D', '-std', '-m', '-f',
                     '-O', '-g', '-pthread', '-W')):
        # Relative include paths are relative to the build directory.
        for p in ('-I', '-iquote', '-isystem'):
            if a == p:
                break
            if a.startswith(p) and not a[len(p):].startswith('/'):
                a = p + ref + '/' + a[len(p):]
        keep.append(a)
        if a in ('-iquote', '-isystem', '-I'):
            nxt = args[1:][i + 1]
            if not nxt.startswith('/'):
                nxt = ref + '/' + nxt
            keep.append(nxt)
            skip_next = True
print('\n'.join(keep))
PY
)

libs=(-lrt -lm -lbz2)
if grep -q '^#define CONFIG_LINUX_IO_URING' "$ref/config-host.h"; then
    libs+=(-luring)
fi
for p in zlib libzstd gmodule-2.0 glib-2.0; do
    if pkg-config --exists "$p"; then
        read -r -a l <<<"$(pkg-config --libs "$p")"
        libs+=("${l[@]}")
    fi
done

# bench-sync.c gets <poll.h> through qemuutil's osdep.h; QEMU's does not
# include it.
mkdir -p "$(dirname "$out")"
cc "${qflags[@]}" -Wno-missing-prototypes -Wno-unused-parameter \
    -Wno-sign-compare -Wno-shadow -DBENCH_QEMU_REF -I "$root/bench" \
    -include poll.h \
    "$root/bench/bench-main.c" "$root/bench/bench-sync.c" \
    "$root/bench/bench-aio.c" "$root/bench/bench-coroutine.c" \
    "$root/bench/bench-threadpool.c" "$root/bench/qemu-ref-shims.c" \
    -o "$out" -pthread \
    -Wl,--wrap=io_uring_queue_init,--wrap=epoll_ctl \
    -Wl,--start-group "$ref/libqemuutil.a" "$ref/libqom.a" "${libs[@]}" -Wl,--end-group
echo "$out"
