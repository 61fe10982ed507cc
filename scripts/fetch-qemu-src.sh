#!/bin/bash
# Fetch QEMU 10.0.13 (Debian trixie source package) and trixie's meson .deb into a
# cache directory, without touching the system's apt configuration: apt is pointed
# at a private sources list, lists directory and cache through -o options.
#
# Usage: scripts/fetch-qemu-src.sh [CACHE_DIR]
# Prints the path of the unpacked QEMU tree on stdout (last line).
set -euo pipefail

QEMU_DEB_VERSION='1:10.0.13+ds-0+deb13u1'
QEMU_UPSTREAM='10.0.13'
CACHE=${1:-${QEMUUTIL_CACHE:-$HOME/.cache/qemuutil}}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
APT="$CACHE/apt"
SRC="$CACHE/qemu-$QEMU_UPSTREAM"

log() { echo "fetch-qemu-src: $*" >&2; }

# The mirror is whatever this machine already uses for Debian.
mirror_uri() {
    local f uri=""
    for f in /etc/apt/sources.list.d/debian.sources; do
        [ -f "$f" ] && uri=$(awk '/^URIs:/ {print $2; exit}' "$f")
    done
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1 == "deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

apt_private() {
    apt-get -q \
        -o Dir::Etc::SourceList="$APT/sources.list" \
        -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$APT/lists" \
        -o Dir::Cache::Archives="$APT/archives" \
        -o Dir::Cache::pkgcache="$APT/pkgcache.bin" \
        -o Dir::Cache::srcpkgcache="$APT/srcpkgcache.bin" \
        -o APT::Sandbox::User=root \
        "$@"
}

setup_apt() {
    mkdir -p "$APT/lists/partial" "$APT/archives/partial"
    local uri
    uri=$(mirror_uri)
    cat > "$APT/sources.list" <<EOT
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri trixie main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${uri%/debian}/debian-security trixie-security main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${uri%/debian}/debian-security trixie-security main
EOT
    if [ ! -f "$APT/updated" ]; then
        log "updating private package lists (trixie)"
        apt_private update >&2
        touch "$APT/updated"
    fi
}

fetch_qemu() {
    [ -f "$SRC/util/aio-posix.c" ] && return 0
    setup_apt
    mkdir -p "$CACHE/dl"
    if ! ls "$CACHE/dl"/qemu_*.orig.tar.* >/dev/null 2>&1; then
        log "downloading source package qemu=$QEMU_DEB_VERSION"
        (cd "$CACHE/dl" && apt_private source --download-only "qemu=$QEMU_DEB_VERSION" >&2)
    fi
    log "unpacking the upstream tarball"
    rm -rf "$SRC.tmp" && mkdir -p "$SRC.tmp"
    tar -xf "$CACHE/dl"/qemu_*.orig.tar.* -C "$SRC.tmp"
    local top
    top=$(find "$SRC.tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    rm -rf "$SRC"
    mv "$top" "$SRC"
    rm -rf "$SRC.tmp"
}

fetch_meson() {
    [ -x "$CACHE/meson/usr/bin/meson" ] && return 0
    setup_apt
    mkdir -p "$CACHE/dl"
    if ! ls "$CACHE/dl"/meson_*.deb >/dev/null 2>&1; then
        log "downloading trixie's meson .deb"
        (cd "$CACHE/dl" && apt_private download meson/trixie >&2)
    fi
    rm -rf "$CACHE/meson" && mkdir -p "$CACHE/meson"
    dpkg -x "$CACHE/dl"/meson_*.deb "$CACHE/meson"
}

fetch_qemu
case "${FETCH_MESON:-1}" in 1) fetch_meson ;; esac
echo "$SRC"
