#!/bin/bash
# Drop-in proof: overlay qemuutil's swap set (scripts/swap-set.txt) on a
# QEMU 10.0.13 tree, build QEMU's tools and unit tests against it, run
# QEMU's unit suite and real qemu-img / qemu-io / qemu-nbd workloads, and
# report the counts.  With --bench, compare `qemu-img bench` throughput of
# the swapped tree with the original tree instead.
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: scripts/qemu-swap.sh [OPTIONS]
#   --groups LIST   comma-separated swap-set groups, or "all" (default all)
#   --force         swap a group even if a group it needs is not selected
#   --no-unit       skip QEMU's unit suite
#   --no-workloads  skip the qemu-img/qemu-io/qemu-nbd workloads
#   --no-io-uring   configure QEMU without liburing (separate build dir)
#   --bench         run the qemu-img bench comparison (make bench-qemu)
#   -j N            ninja jobs (default 2)
#
# Everything lives under $QEMUUTIL_CACHE (default ~/.cache/qemuutil):
#   swap-src/     copy of the QEMU tree with the swap set overlaid.  Files are
#                 only rewritten when their content changes, so a rerun with
#                 the same sources rebuilds nothing.
#   swap-build/   QEMU build directory (swap-build-nouring with --no-io-uring)
#   qemu-ref-build/  the original tree's build (bench only)
# The unit suite's results are in <build>/meson-logs/testlog.json; the last
# line printed names that file so CI can count the cases.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
SWAP_LIST="$here/swap-set.txt"

groups_arg=all
force=0
do_unit=1
do_work=1
io_uring=1
bench=0
jobs=2

while [ $# -gt 0 ]; do
    case "$1" in
    --groups) groups_arg=$2; shift ;;
    --groups=*) groups_arg=${1#--groups=} ;;
    --force) force=1 ;;
    --no-unit) do_unit=0 ;;
    --no-workloads) do_work=0 ;;
    --no-io-uring) io_uring=0 ;;
    --bench) bench=1 ;;
    -j) jobs=$2; shift ;;
    -j*) jobs=${1#-j} ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "qemu-swap: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done

log() { echo "qemu-swap: $*" >&2; }
die() { log "$*"; exit 1; }

"$here/deps.sh" qemu || die "could not install the qemu package group"
# shellcheck source=qemu-env.sh
. "$here/qemu-env.sh"
[ -f "$QEMU_SRC/util/aio-posix.c" ] || die "no QEMU tree at '$QEMU_SRC'"

SWAP_SRC="$QEMUUTIL_CACHE/swap-src"
if [ $io_uring -eq 1 ]; then
    SWAP_BUILD="$QEMUUTIL_CACHE/swap-build"
else
    SWAP_BUILD="$QEMUUTIL_CACHE/swap-build-nouring"
fi
REF_BUILD="$QEMUUTIL_CACHE/qemu-ref-build"

# ----------------------------------------------------------------------
# The swap set: parse "# group: NAME [needs: A B]" sections.
# ----------------------------------------------------------------------
declare -A group_files group_needs
group_order=()
parse_swap_list() {
    local line cur="" name needs
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in
        "# group: "*)
            line=${line#"# group: "}
            name=${line%% *}
            needs=""
            case "$line" in *" needs: "*) needs=${line#*" needs: "} ;; esac
            cur=$name
            group_order+=("$name")
            group_files[$name]=""
            group_needs[$name]=$needs
            ;;
        "#"*|"") ;;
        *)
            [ -n "$cur" ] || die "$SWAP_LIST: '$line' is outside any group"
            group_files[$cur]+="$line "
            ;;
        esac
    done < "$SWAP_LIST"
}
parse_swap_list

declare -A selected
if [ "$groups_arg" = all ]; then
    for g in "${group_order[@]}"; do selected[$g]=1; done
else
    IFS=, read -r -a want <<< "$groups_arg"
    for g in "${want[@]}"; do
        [ -n "${group_files[$g]+x}" ] || \
            die "unknown group '$g' (groups: ${group_order[*]})"
        selected[$g]=1
    done
fi
for g in "${!selected[@]}"; do
    for n in ${group_needs[$g]}; do
        if [ -z "${selected[$n]+x}" ]; then
            if [ $force -eq 1 ]; then
                log "warning: group '$g' needs '$n' (shared private layout); forced"
            else
                die "group '$g' needs group '$n' (they share private layouts); add it or use --force"
            fi
        fi
    done
done
missing=()
for g in "${group_order[@]}"; do
    [ -n "${selected[$g]+x}" ] || continue
    for f in ${group_files[$g]}; do
        # Without liburing QEMU does not compile fdmon-io_uring.c at all.
        [ $io_uring -eq 0 ] && [ "$f" = util/fdmon-io_uring.c ] && continue
        [ -f "$top/$f" ] || missing+=("$f ($g)")
    done
done
if [ ${#missing[@]} -gt 0 ]; then
    log "these swap-set files do not exist in $top yet:"
    printf '    %s\n' "${missing[@]}" >&2
    die "select only complete groups with --groups (e.g. --groups threads,timers)"
fi
sel_list=$(for g in "${group_order[@]}"; do
               [ -n "${selected[$g]+x}" ] && printf '%s ' "$g"
           done)

# ----------------------------------------------------------------------
# Scratch tree: copy QEMU once, then keep every swap-set path equal to
# either our file (selected group) or QEMU's original (others).
# ----------------------------------------------------------------------
prepare_tree() {
    local stamp="$SWAP_SRC/.qemuutil-origin" g f want n=0 changed=0
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$QEMU_SRC" ]; then
        log "copying $QEMU_SRC to $SWAP_SRC"
        rm -rf "$SWAP_SRC" "$SWAP_SRC.tmp"
        cp -a --reflink=auto "$QEMU_SRC" "$SWAP_SRC.tmp" || die "copy failed"
        echo "$QEMU_SRC" > "$SWAP_SRC.tmp/.qemuutil-origin"
        mv "$SWAP_SRC.tmp" "$SWAP_SRC"
    fi
    for g in "${group_order[@]}"; do
        for f in ${group_files[$g]}; do
            if [ -n "${selected[$g]+x}" ] && [ -e "$top/$f" ]; then
                want="$top/$f"
                n=$((n + 1))
            else
                want="$QEMU_SRC/$f"
            fi
            if [ ! -e "$want" ]; then
                # Not in QEMU either (a new private header of ours).
                [ -e "$SWAP_SRC/$f" ] && rm -f "$SWAP_SRC/$f" && changed=$((changed + 1))
                continue
            fi
            if ! cmp -s "$want" "$SWAP_SRC/$f"; then
                mkdir -p "$(dirname "$SWAP_SRC/$f")"
                cp "$want" "$SWAP_SRC/$f" || die "cannot copy $want"
                changed=$((changed + 1))
            fi
        done
    done
    log "swapped $n files (groups: ${sel_list% }); $changed changed since the last run"
}

# ----------------------------------------------------------------------
# Configure and build.
# ----------------------------------------------------------------------
# configure_tree SRC BUILD EXTRA-ARGS...
configure_tree() {
    local src=$1 out=$2
    shift 2
    if [ -f "$out/build.ninja" ]; then
        return 0
    fi
    log "configuring $out"
    rm -rf "$out" && mkdir -p "$out"
    if ! (cd "$out" && "$src/configure" --python=/usr/bin/python3 \
              "${QEMU_TOOLS_CONFIG[@]}" "$@" >configure.log 2>&1); then
        tail -n 30 "$out/configure.log" >&2
        rm -f "$out/build.ninja"
        die "configure failed (log: $out/configure.log)"
    fi
}

# The ninja targets of the unit suite (test executables and what they
# depend on) plus the three tools the workloads use.
build_targets() {
    local out=$1
    "$out/pyvenv/bin/meson" introspect --tests --targets "$out" |
        /usr/bin/python3 -c '
import json, os, sys
out = os.path.realpath(sys.argv[1])
info = json.load(sys.stdin)
files = {}
for t in info["targets"]:
    files[t["id"]] = t["filename"]
want = set()
for t in info["tests"]:
    if not any(s.split(":")[-1] == "unit" for s in t["suite"]):
        continue
    exe = os.path.realpath(t["cmd"][0])
    if exe.startswith(out + "/"):
        want.add(exe)
    for d in t.get("depends", []):
        want.update(os.path.realpath(f) for f in files.get(d, []))
for tool in ("qemu-img", "qemu-io", "qemu-nbd"):
    want.add(os.path.join(out, tool))
for w in sorted(want):
    if w.startswith(out + "/"):
        print(os.path.relpath(w, out))
' "$out"
}

# build_tree BUILD TARGET...
build_tree() {
    local out=$1 t0 rc
    shift
    t0=$(date +%s)
    log "building $# targets in $out (ninja -j$jobs)"
    ninja -C "$out" -j"$jobs" "$@" > "$out/qemu-swap-build.log" 2>&1
    rc=$?
    build_secs=$(( $(date +%s) - t0 ))
    if [ $rc -ne 0 ]; then
        grep -E -B2 -A8 'error:|undefined reference|multiple definition' \
            "$out/qemu-swap-build.log" | head -n 120 >&2
        log "build FAILED after ${build_secs}s (log: $out/qemu-swap-build.log)"
        return 1
    fi
    log "build done in ${build_secs}s"
    # Warnings in our files: QEMU builds with -Werror in development trees.
    local warn
    warn=$(grep -cE '(^|/)(util|include)/[^ ]+: warning:' "$out/qemu-swap-build.log")
    if [ "$warn" -gt 0 ]; then
        log "$warn compiler warnings in util/ or include/ (see the build log):"
        grep -E '(^|/)(util|include)/[^ ]+: warning:' "$out/qemu-swap-build.log" |
            sort -u | head -n 20 >&2
    fi
    return 0
}

# ----------------------------------------------------------------------
# Unit suite.
# ----------------------------------------------------------------------
unit_ok=0 unit_fail=0 unit_skip=0 unit_other=0
run_unit() {
    local out=$1 rc
    log "running QEMU's unit suite (meson test --suite unit)"
    (cd "$out" && "$out/pyvenv/bin/meson" test --no-rebuild --suite unit \
         --num-processes "$jobs" --print-errorlogs) > "$out/qemu-swap-unit.log" 2>&1
    rc=$?
    # Each result line appears twice (progress, then summary): once here.
    grep -E '^ *[0-9]+/[0-9]+ ' "$out/qemu-swap-unit.log" |
        grep -vE ' OK +[0-9.]+s' | awk '!seen[$0]++' >&2 || true
    read -r unit_ok unit_fail unit_skip unit_other < <(
        /usr/bin/python3 - "$out/meson-logs/testlog.json" <<'EOF'
import json, sys
ok = fail = skip = other = 0
try:
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line).get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                ok += 1
            elif r == "SKIP":
                skip += 1
            elif r in ("FAIL", "UNEXPECTEDPASS", "TIMEOUT", "ERROR"):
                fail += 1
            else:
                other += 1
except OSError:
    fail = 1
print(ok, fail, skip, other)
EOF
    )
    log "unit suite: $unit_ok OK, $unit_fail FAIL, $unit_skip SKIP (meson exit $rc)"
    [ "$rc" -eq 0 ] && [ "$unit_fail" -eq 0 ]
}

# ----------------------------------------------------------------------
# Workloads with the swapped tools.
# ----------------------------------------------------------------------
work_pass=0 work_fail=0 work_skip=0
figures=()
WORK=""
nbd_pid=""
cleanup() {
    if [ -n "$nbd_pid" ]; then
        kill "$nbd_pid" 2>/dev/null
        wait "$nbd_pid" 2>/dev/null
    fi
    [ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT

# step NAME CMD...: run one workload step, record pass/fail.
step() {
    local name=$1 outp rc
    shift
    outp=$("$@" 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && ! grep -qiE 'verification failed|^[a-z-]+: .*error' <<< "$outp"; then
        work_pass=$((work_pass + 1))
        printf '  PASS  %s\n' "$name" >&2
        return 0
    fi
    work_fail=$((work_fail + 1))
    printf '  FAIL  %s (exit %d)\n' "$name" "$rc" >&2
    sed 's/^/        /' <<< "$outp" | tail -n 15 >&2
    return 1
}

skip_step() {
    work_skip=$((work_skip + 1))
    printf '  SKIP  %s: %s\n' "$1" "$2" >&2
}

# Whether this host's kernel lets qemu-io open an image with aio=io_uring.
io_uring_usable() {
    local out=$1 img=$2 msg
    msg=$("$out/qemu-io" -f qcow2 -i io_uring -c 'read 0 512' "$img" 2>&1) && return 0
    io_uring_why=$(head -n 1 <<< "$msg")
    return 1
}

# bench_ops QEMU_IMG ARGS...: run qemu-img bench, print requests per second.
bench_ops() {
    local img=$1 outp secs count
    shift
    outp=$("$img" bench "$@" 2>&1) || { echo "ERR"; return 1; }
    secs=$(sed -n 's/^Run completed in \([0-9.]*\) seconds\./\1/p' <<< "$outp")
    count=$(sed -n 's/^Sending \([0-9]*\) .*/\1/p' <<< "$outp")
    [ -n "$secs" ] && [ -n "$count" ] || { echo "ERR"; return 1; }
    awk -v c="$count" -v s="$secs" 'BEGIN { printf "%.0f\n", (s > 0 ? c / s : 0) }'
}

run_workloads() {
    local out=$1 img="$1/qemu-img" io="$1/qemu-io" nbd="$1/qemu-nbd"
    local a b raw sock ops aio i k base par cmp_rc
    WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/qemu-swap.XXXXXX")
    a="$WORK/a.qcow2" b="$WORK/b.qcow2" raw="$WORK/c.raw" sock="$WORK/nbd.sock"
    log "workloads with the swapped qemu-img/qemu-io/qemu-nbd (in $WORK)"

    step "qemu-img create qcow2 64M" "$img" create -q -f qcow2 "$a" 64M
    for aio in threads io_uring; do
        if [ $aio = io_uring ] && ! io_uring_usable "$out" "$a"; then
            skip_step "qemu-io aio=io_uring write/read" \
                "io_uring unusable here (${io_uring_why:-no detail})"
            continue
        fi
        if [ $aio = threads ]; then i=0; else i=1; fi
        # Distinct patterns per mode; the cached and O_DIRECT paths both.
        step "qemu-io aio=$aio write (cache=writeback)" \
            "$io" -f qcow2 -i $aio \
            -c "write -P 0x${i}5 $((i * 16))M 4M" \
            -c "aio_write -P 0x${i}6 $((i * 16 + 4))M 1M" -c 'aio_flush' \
            -c "writev -P 0x${i}7 $((i * 16 + 5))M 64k 64k 128k" "$a"
        step "qemu-io aio=$aio read back (cache=none)" \
            "$io" -n -f qcow2 -i $aio \
            -c "read -P 0x${i}5 $((i * 16))M 4M" \
            -c "aio_read -P 0x${i}6 $((i * 16 + 4))M 1M" -c 'aio_flush' \
            -c "readv -P 0x${i}7 $((i * 16 + 5))M 64k 64k 128k" \
            -c "read -P 0 $((i * 16 + 8))M 1M" "$a"
        # 256 overlapping-in-time 4k writes, each its own pattern.
        par=(-c "aio_write -P 0x${i}9 $((i * 16 + 9))M 1M")
        base=$(( (i * 16 + 10) * 1048576 ))
        for k in $(seq 0 255); do
            par+=(-c "aio_write -P $((k % 200 + 1)) $((base + k * 4096)) 4k")
        done
        par+=(-c 'aio_flush' -c "read -P 0x${i}9 $((i * 16 + 9))M 1M")
        for k in 0 1 199 200 255; do
            par+=(-c "read -P $((k % 200 + 1)) $((base + k * 4096)) 4k")
        done
        step "qemu-io aio=$aio 256 parallel 4k writes + read back" \
            "$io" -f qcow2 -i $aio "${par[@]}" "$a"
    done
    step "qemu-img check" "$img" check -q "$a"
    step "qemu-img convert qcow2 -> qcow2 (-m 8 -W)" \
        "$img" convert -m 8 -W -f qcow2 -O qcow2 "$a" "$b"
    step "qemu-img compare qcow2 qcow2" "$img" compare -q "$a" "$b"
    step "qemu-img convert qcow2 -> raw (-t none)" \
        "$img" convert -t none -f qcow2 -O raw "$a" "$raw"
    step "qemu-img compare qcow2 raw" \
        "$img" compare -q -f qcow2 -F raw "$a" "$raw"
    "$io" -f raw -c 'write -P 0xee 1M 4k' "$raw" >/dev/null 2>&1
    # Exit status 1 means "images differ" (0 same, 2 and up errors).
    "$img" compare -q -f qcow2 -F raw "$a" "$raw" >/dev/null 2>&1
    cmp_rc=$?
    step "qemu-img compare detects a difference (exit $cmp_rc, want 1)" \
        test $cmp_rc -eq 1

    # qemu-img bench: short runs, figures reported.
    for aio in threads io_uring; do
        if [ $aio = io_uring ] && ! io_uring_usable "$out" "$a"; then
            skip_step "qemu-img bench aio=io_uring" "io_uring unusable here"
            continue
        fi
        for rw in read write; do
            local wflag=""
            [ $rw = write ] && wflag=-w
            ops=$(bench_ops "$img" -q -c 20000 -d 32 -s 4096 -f qcow2 \
                      -i $aio $wflag "$b")
            if [ "$ops" = ERR ]; then
                step "qemu-img bench $rw aio=$aio" false
            else
                step "qemu-img bench $rw aio=$aio" true
                figures+=("qemu-img bench $rw aio=$aio qcow2 4k qd32: $ops req/s")
            fi
        done
    done

    # qemu-nbd serving the image over a unix socket.
    "$nbd" -f qcow2 --shared=4 --persistent -k "$sock" "$a" \
        > "$WORK/nbd.log" 2>&1 &
    nbd_pid=$!
    for i in $(seq 1 200); do
        [ -S "$sock" ] && break
        kill -0 "$nbd_pid" 2>/dev/null || break
        sleep 0.05  # polling for the server's socket, not synchronisation
    done
    if [ ! -S "$sock" ]; then
        cat "$WORK/nbd.log" >&2
        step "qemu-nbd serve on a unix socket" false
    else
        local url="nbd+unix:///?socket=$sock"
        step "qemu-nbd: qemu-io read back over NBD" \
            "$io" -f raw -c 'read -P 0x05 0 4M' -c 'readv -P 0x07 5M 64k 64k 128k' "$url"
        # The server holds the image's write lock: share it read-only.
        step "qemu-nbd: qemu-img compare qcow2 vs nbd" \
            "$img" compare -q -U -f qcow2 -F raw "$a" "$url"
        step "qemu-nbd: write over NBD then read back" \
            "$io" -f raw -c 'write -P 0x3c 32M 2M' -c 'read -P 0x3c 32M 2M' "$url"
        kill "$nbd_pid" 2>/dev/null
        wait "$nbd_pid" 2>/dev/null
        nbd_pid=""
        step "qemu-nbd: the write reached the image" \
            "$io" -f qcow2 -c 'read -P 0x3c 32M 2M' "$a"
    fi
}

# ----------------------------------------------------------------------
# Bench: qemu-img bench on the original and the swapped tree.
# ----------------------------------------------------------------------
run_bench() {
    local dir img rounds=3 aio cache rw r best_ref best_swap v name ratio
    local count which b
    local ratios=()
    local failed=0
    dir="$QEMUUTIL_CACHE/bench-img"     # on disk: -t none needs O_DIRECT
    mkdir -p "$dir"
    img="$dir/bench.raw"
    rm -f "$img"
    "$SWAP_BUILD/qemu-img" create -q -f raw -o preallocation=full "$img" 256M ||
        die "cannot create $img"
    printf '\n%-44s %12s %12s %7s\n' "qemu-img bench (raw, 4k, qd 64) req/s" \
        "original" "swapped" "ratio"
    for aio in threads io_uring; do
        if [ $aio = io_uring ] &&
           ! "$SWAP_BUILD/qemu-io" -f raw -i io_uring -c 'read 0 512' "$img" \
               >/dev/null 2>&1; then
            printf '%-44s skipped: io_uring unusable on this host\n' "aio=io_uring"
            continue
        fi
        for cache in writeback none; do
            # About a second per run: shorter runs are mostly noise.
            if [ $cache = none ]; then count=40000; else count=200000; fi
            for rw in read write; do
                best_ref=0 best_swap=0
                for r in $(seq 1 $rounds); do
                    for which in ref swap; do
                        if [ $which = ref ]; then b="$REF_BUILD"; else b="$SWAP_BUILD"; fi
                        v=$(bench_ops "$b/qemu-img" -c $count -d 64 -s 4096 \
                                -f raw -i $aio -t $cache \
                                $([ $rw = write ] && echo -w) "$img")
                        if [ "$v" = ERR ]; then
                            failed=1
                            continue
                        fi
                        if [ $which = ref ]; then
                            [ "$v" -gt "$best_ref" ] && best_ref=$v
                        else
                            [ "$v" -gt "$best_swap" ] && best_swap=$v
                        fi
                    done
                done
                name="$rw aio=$aio cache=$cache"
                ratio=$(awk -v s="$best_swap" -v r="$best_ref" \
                            'BEGIN { if (r > 0) printf "%.2f", s / r; else print "-" }')
                printf '%-44s %12s %12s %6sx\n' "$name" "$best_ref" "$best_swap" "$ratio"
                [ "$ratio" != - ] && ratios+=("$ratio")
            done
        done
    done
    if [ ${#ratios[@]} -gt 0 ]; then
        printf '%-44s %33sx\n' "geometric mean of the ratios" \
            "$(printf '%s\n' "${ratios[@]}" |
               awk '{ s += log($1); n++ } END { printf "%.2f", exp(s / n) }')"
    fi
    printf '(best of %d alternating runs each; ratio = swapped / original;\n' $rounds
    printf ' on a busy 2-core machine single ratios move by about 20%% run to run)\n'
    rm -f "$img"
    return $failed
}

# ----------------------------------------------------------------------
# Main.
# ----------------------------------------------------------------------
start=$(date +%s)
prepare_tree
cfg=()
[ $io_uring -eq 0 ] && cfg+=(--disable-linux-io-uring)
configure_tree "$SWAP_SRC" "$SWAP_BUILD" "${cfg[@]}"

if [ $bench -eq 1 ]; then
    configure_tree "$QEMU_SRC" "$REF_BUILD"
    build_tree "$REF_BUILD" qemu-img qemu-io || die "original tree did not build"
    build_tree "$SWAP_BUILD" qemu-img qemu-io || die "swapped tree did not build"
    run_bench
    exit $?
fi

mapfile -t targets < <(build_targets "$SWAP_BUILD")
[ ${#targets[@]} -gt 3 ] || die "could not list the unit-test targets"
build_ok=1
build_tree "$SWAP_BUILD" "${targets[@]}" || build_ok=0

rc=0
if [ $build_ok -eq 0 ]; then
    rc=1
else
    if [ $do_unit -eq 1 ]; then
        run_unit "$SWAP_BUILD" || rc=1
    fi
    if [ $do_work -eq 1 ]; then
        run_workloads "$SWAP_BUILD"
        [ $work_fail -eq 0 ] || rc=1
    fi
fi

echo
echo "== qemu-swap summary (QEMU 10.0.13, groups: ${sel_list% }) =="
echo "swapped tree:  $SWAP_SRC"
echo "build:         $([ $build_ok -eq 1 ] && echo ok || echo FAILED) (${build_secs:-0}s; $SWAP_BUILD)"
if [ $build_ok -eq 1 ] && [ $do_unit -eq 1 ]; then
    echo "unit suite:    $unit_ok OK, $unit_fail FAIL, $unit_skip SKIP"
fi
if [ $build_ok -eq 1 ] && [ $do_work -eq 1 ]; then
    echo "workloads:     $work_pass passed, $work_fail failed, $work_skip skipped"
    for f in "${figures[@]}"; do
        echo "  $f"
    done
fi
echo "time:          $(( $(date +%s) - start ))s"
echo "result:        $([ $rc -eq 0 ] && echo PASS || echo FAIL)"
if [ $build_ok -eq 1 ] && [ $do_unit -eq 1 ]; then
    echo "testlog: $SWAP_BUILD/meson-logs/testlog.json"
fi
exit $rc
