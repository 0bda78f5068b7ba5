#!/usr/bin/env bash
# Regenerates the input files of the README's console examples (checked by
# tests/readme.rs). Needs srecord and the Arm GNU toolchain, which
# scripts/test installs. The files are committed; run this only to change them.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A NuttX-style protected build: the kernel (3000 bytes, entry 0x08000189)
# and the user blob (1000 bytes at the user flash origin, entry 0x08020001).
srec_cat -generate 0 3000 -repeat-string kernel -offset 0x08000000 \
    -execution-start-address 0x08000189 -o nuttx.hex -intel -output-block-size 16 -disable-sequence-warnings
srec_cat -generate 0 1000 -repeat-string user -offset 0x08020000 \
    -execution-start-address 0x08020001 -o nuttx_user.hex -intel -output-block-size 16 -disable-sequence-warnings

# nuttx_user.hex with the checksum of its third record broken.
awk 'NR == 3 { $0 = substr($0, 1, length($0) - 2) "D0" } { print }' nuttx_user.hex > bad.hex

# A linked ELF: 3000 bytes of code at 0x08000000.
printf '.section .text\n.global _start\n_start:\n.fill 3000, 1, 0x5a\n' > "$tmp/kernel.s"
arm-none-eabi-gcc -nostdlib -Wl,-Ttext=0x08000000 -Wl,--build-id=none "$tmp/kernel.s" -o kernel.elf

# Two images that differ: 0x100..0x102 only in a, 0x103..0x105 differing,
# 0x106..0x108 only in b (0x102 and 0x105 are the same in both).
printf 'ABCDEF' > "$tmp/a.bin"
printf 'C\x99\x99FGH' > "$tmp/b.bin"
srec_cat "$tmp/a.bin" -binary -offset 0x100 -o a.hex -intel -disable-sequence-warnings
srec_cat "$tmp/b.bin" -binary -offset 0x102 -o b.hex -intel -disable-sequence-warnings
