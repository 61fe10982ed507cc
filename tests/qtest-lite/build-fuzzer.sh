#!/bin/sh
# Build one libFuzzer target with clang, whatever compiler the rest of the
# build uses: the fuzzer, the vmm-mini core and the library sources in one
# command, all instrumented (-fsanitize=fuzzer,address,undefined).
# Usage: build-fuzzer.sh CLANG OUTPUT BUILD_ROOT SOURCE_ROOT EXTRA_LIB SOURCES...
# SPDX-License-Identifier: GPL-2.0-or-later
set -e
clang=$1 out=$2 build=$3 src=$4 extra=$5
shift 5
# The kvm accelerator is not needed: fuzzers bring their own.
srcs=
for f in "$@"; do
    case $f in
        */kvm.c) ;;
        *) srcs="$srcs $f" ;;
    esac
done
# pointer-overflow is off because util/main-loop.c takes
# &g_array_index(poll_fds, ..., n) of a still-empty GArray (NULL + 0),
# reported to its owner; every other UBSan check stays fatal.
# shellcheck disable=SC2086
exec "$clang" -g -O1 -std=gnu11 \
    -fsanitize=fuzzer,address,undefined -fno-sanitize=pointer-overflow \
    -fno-sanitize-recover=undefined \
    -fno-omit-frame-pointer -Wno-unused-command-line-argument \
    -w -I"$build" -I"$src" -I"$src/include" -I"$src/vmm-mini" \
    -I"$src/tests/qtest-lite" \
    $(pkg-config --cflags glib-2.0) \
    -o "$out" $srcs \
    $(pkg-config --libs glib-2.0) $extra -pthread
