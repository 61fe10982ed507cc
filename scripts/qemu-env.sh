# Sourced by the scripts that configure a QEMU 10.0.13 tree (the reference
# build for benches, the drop-in swap test).  Sets QEMU_SRC and makes
# QEMU's configure find meson >= 1.5 (trixie's, unpacked by
# fetch-qemu-src.sh) and the Python package pycotap, which QEMU's configure
# checks for but only its functional tests use: a metadata-only stand-in in
# a private directory satisfies the check without installing anything
# system-wide.
QEMUUTIL_CACHE=${QEMUUTIL_CACHE:-$HOME/.cache/qemuutil}
QEMU_SRC=$("$(dirname "${BASH_SOURCE[0]}")/fetch-qemu-src.sh" "$QEMUUTIL_CACHE" | tail -n 1)

qemu_pyshim="$QEMUUTIL_CACHE/pyshim"
if [ ! -f "$qemu_pyshim/pycotap-1.3.1.dist-info/METADATA" ]; then
    mkdir -p "$qemu_pyshim/pycotap" "$qemu_pyshim/pycotap-1.3.1.dist-info"
    printf '# Stand-in so that QEMU configure finds the distribution.\n' \
        > "$qemu_pyshim/pycotap/__init__.py"
    printf 'Metadata-Version: 2.1\nName: pycotap\nVersion: 1.3.1\n' \
        > "$qemu_pyshim/pycotap-1.3.1.dist-info/METADATA"
    printf 'pycotap/__init__.py,,\n' > "$qemu_pyshim/pycotap-1.3.1.dist-info/RECORD"
fi
export PYTHONPATH="$QEMUUTIL_CACHE/meson/usr/lib/python3/dist-packages:$qemu_pyshim${PYTHONPATH:+:$PYTHONPATH}"
export PATH="$QEMUUTIL_CACHE/meson/usr/bin:$PATH"

# The tools-only configuration QEMU's contract was measured with.
QEMU_TOOLS_CONFIG=(--disable-system --disable-user --enable-tools
                   --disable-docs --disable-rust --disable-install-blobs
                   --disable-download --disable-werror)
