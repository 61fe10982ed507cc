#!/bin/sh
# Build one vmm-mini guest: preprocess + assemble a .S file, link it with
# guest.ld, and strip it to a flat binary.
# Usage: mkguest.sh CC OBJCOPY SRC LDSCRIPT OUT
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu
cc=$1 objcopy=$2 src=$3 ldscript=$4 out=$5
elf=$out.elf
# -m32 with -nostdlib needs only binutils' i386 support, no 32-bit libc.
$cc -m32 -nostdlib -static -ffreestanding -fno-pic -no-pie \
    -Wl,--build-id=none -Wl,-T,"$ldscript" -I"$(dirname "$src")" \
    -o "$elf" "$src"
$objcopy -O binary "$elf" "$out"
