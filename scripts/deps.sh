#!/bin/bash
# Install the Debian packages qemuutil needs, and only those that are missing.
# Quiet when everything is present.  Run as root (or with sudo available).
#
# Usage: scripts/deps.sh [GROUP...]   groups: build (default), bench, docs,
#        qemu, bindings, valgrind, all
set -euo pipefail

build_pkgs=(
    build-essential pkg-config meson ninja-build python3
    libglib2.0-dev liburing-dev
)
bench_pkgs=(libuv1-dev libevent-dev)
docs_pkgs=(python3-sphinx)
# make check-valgrind; the package also ships <valgrind/valgrind.h>, which
# the build needs to register coroutine stacks with valgrind.
valgrind_pkgs=(valgrind)
# Python bindings: GObject introspection and SWIG, for /usr/bin/python3.
bindings_pkgs=(swig gobject-introspection libgirepository1.0-dev python3-dev
               python3-gi gir1.2-glib-2.0)
# What QEMU 10.0.13 needs for a tools build (reference build and swap test).
qemu_pkgs=(python3-venv zlib1g-dev libzstd-dev flex bison git)

want=()
[ $# -eq 0 ] && set -- build
for g in "$@"; do
    case "$g" in
    # Every build dir gets the bindings, so configure must see SWIG and GI.
    build) want+=("${build_pkgs[@]}" "${bindings_pkgs[@]}") ;;
    bench) want+=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
    docs)  want+=("${docs_pkgs[@]}") ;;
    bindings) want+=("${build_pkgs[@]}" "${bindings_pkgs[@]}") ;;
    qemu)  want+=("${build_pkgs[@]}" "${qemu_pkgs[@]}") ;;
    valgrind) want+=("${valgrind_pkgs[@]}") ;;
    all)   want+=("${build_pkgs[@]}" "${bench_pkgs[@]}" "${docs_pkgs[@]}" "${qemu_pkgs[@]}"
                "${bindings_pkgs[@]}" "${valgrind_pkgs[@]}") ;;
    *) echo "deps.sh: unknown group '$g'" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

# Deduplicate, keep order.
readarray -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
echo "deps.sh: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
