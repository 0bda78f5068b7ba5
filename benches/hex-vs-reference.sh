#!/usr/bin/env bash
# Benchmarks mcu-build's image commands against the reference tools, all in
# one run, and prints the figures as a Markdown table (ratios > 1 mean
# mcu-build is faster):
#   - merging two 1 MiB images, HEX in and HEX out, against srec_cat and
#     Python intelhex's hexmerge.py;
#   - ELF with 4 MiB of data to HEX, against arm-none-eabi-objcopy -O ihex;
#   - peak memory (max RSS) of each, and what mcu-build adds to the RSS of
#     the idle process (`--version`), against the image size;
#   - instructions executed (valgrind), which a busy machine does not skew.
# Every pair of outputs is checked equal with srec_cmp before timing.
#
# Needs: hyperfine, srecord, binutils-arm-none-eabi, valgrind, python3 (installs
# what is missing with apt-get / pip). Usage: benches/hex-vs-reference.sh
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
need hyperfine || apt-get install -y -qq hyperfine >/dev/null
need srec_cat || apt-get install -y -qq srecord >/dev/null
need arm-none-eabi-objcopy || apt-get install -y -qq binutils-arm-none-eabi >/dev/null
need hexmerge.py || pip install -q intelhex >/dev/null 2>&1
need valgrind || apt-get install -y -qq valgrind >/dev/null

cargo build --release -q
mcu=${CARGO_TARGET_DIR:-$PWD/target}/release/mcu-build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Inputs: two disjoint 1 MiB HEX images, and an ELF with 4 MiB of data in
# two segments (flash and a second bank).
head -c 1048576 /dev/urandom > kernel.bin
head -c 1048576 /dev/urandom > user.bin
head -c 4194304 /dev/urandom > big.bin
"$mcu" hex convert kernel.bin@0x08000000 -o kernel.hex 2>/dev/null
"$mcu" hex convert user.bin@0x08100000 -o user.hex 2>/dev/null
head -c 2097152 big.bin > big1.bin
tail -c 2097152 big.bin > big2.bin
"$mcu" hex merge big1.bin@0x08000000 big2.bin@0x08400000 --entry 0x08000189 -o big.elf 2>/dev/null

# Same results first: a benchmark of wrong output means nothing.
"$mcu" hex merge kernel.hex user.hex -o m-ours.hex 2>/dev/null
srec_cat kernel.hex -intel user.hex -intel -o m-srec.hex -intel
hexmerge.py -o m-py.hex kernel.hex user.hex
srec_cmp m-ours.hex -intel m-srec.hex -intel
srec_cmp m-ours.hex -intel m-py.hex -intel
"$mcu" hex convert big.elf -o e-ours.hex 2>/dev/null
arm-none-eabi-objcopy -O ihex big.elf e-objcopy.hex
srec_cmp e-ours.hex -intel e-objcopy.hex -intel

hyperfine -N -w 3 -m 10 --export-json merge.json \
    -n mcu-build "$mcu hex merge kernel.hex user.hex -o m-ours.hex" \
    -n srec_cat "srec_cat kernel.hex -intel user.hex -intel -o m-srec.hex -intel" \
    -n hexmerge.py "$(command -v python3) $(python3 -c 'import shutil;print(shutil.which("hexmerge.py"))') -o m-py.hex kernel.hex user.hex" \
    >/dev/null
hyperfine -N -w 3 -m 10 --export-json elf.json \
    -n mcu-build "$mcu hex convert big.elf -o e-ours.hex" \
    -n objcopy "arm-none-eabi-objcopy -O ihex big.elf e-objcopy.hex" \
    >/dev/null

# Peak resident memory in KiB.
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
rss_idle=$(rss "$mcu" --version)
rss_merge=$(rss "$mcu" hex merge kernel.hex user.hex -o m-ours.hex)
rss_srec=$(rss srec_cat kernel.hex -intel user.hex -intel -o m-srec.hex -intel)
rss_elf=$(rss "$mcu" hex convert big.elf -o e-ours.hex)
rss_objcopy=$(rss arm-none-eabi-objcopy -O ihex big.elf e-objcopy.hex)

# Instructions executed (valgrind callgrind): unlike wall time, the same on a
# busy machine as on an idle one.
instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        sed -n 's/.*Collected : //p'
}
if need valgrind; then
    ins_merge=$(instructions "$mcu" hex merge kernel.hex user.hex -o m-ours.hex)
    ins_srec=$(instructions srec_cat kernel.hex -intel user.hex -intel -o m-srec.hex -intel)
    ins_elf=$(instructions "$mcu" hex convert big.elf -o e-ours.hex)
    ins_objcopy=$(instructions arm-none-eabi-objcopy -O ihex big.elf e-objcopy.hex)
else
    ins_merge=0 ins_srec=0 ins_elf=0 ins_objcopy=0
fi

python3 - "$rss_idle" "$rss_merge" "$rss_srec" "$rss_elf" "$rss_objcopy" \
    "$ins_merge" "$ins_srec" "$ins_elf" "$ins_objcopy" <<'PY'
import json, sys
rss_idle, rss_merge, rss_srec, rss_elf, rss_objcopy, ins_merge, ins_srec, ins_elf, ins_objcopy = map(int, sys.argv[1:])
def times(path):
    return {r["command"]: (r["mean"], r["user"]) for r in json.load(open(path))["results"]}
m, e = times("merge.json"), times("elf.json")
ms = lambda s: f"{s * 1000:.1f} ms"
def row(task, ours, name, theirs):
    (ow, ou), (tw, tu) = ours, theirs
    print(f"| {task} | {ms(ow)} ({ms(ou)}) | {name} {ms(tw)} ({ms(tu)}) | {tw / ow:.1f}x | {tu / ou:.1f}x |")
print("| task | mcu-build wall (user CPU) | reference wall (user CPU) | wall ratio | user-CPU ratio |")
print("|---|---|---|---|---|")
row("merge 2 x 1 MiB HEX -> HEX", m["mcu-build"], "srec_cat", m["srec_cat"])
row("merge 2 x 1 MiB HEX -> HEX", m["mcu-build"], "hexmerge.py", m["hexmerge.py"])
row("ELF (4 MiB of data) -> HEX", e["mcu-build"], "objcopy", e["objcopy"])
print()
print("| peak memory (max RSS) | mcu-build | of which the idle process | reference | (mcu-build - idle) / image size |")
print("|---|---|---|---|---|")
print(f"| merge, 2 MiB image | {rss_merge / 1024:.1f} MiB | {rss_idle / 1024:.1f} MiB | srec_cat {rss_srec / 1024:.1f} MiB | {(rss_merge - rss_idle) / 2048:.2f}x |")
print(f"| ELF -> HEX, 4 MiB image | {rss_elf / 1024:.1f} MiB | {rss_idle / 1024:.1f} MiB | objcopy {rss_objcopy / 1024:.1f} MiB | {(rss_elf - rss_idle) / 4096:.2f}x |")
if ins_merge:
    print()
    print("| instructions (callgrind) | mcu-build | reference | ratio (reference / mcu-build) |")
    print("|---|---|---|---|")
    print(f"| merge 2 x 1 MiB HEX -> HEX | {ins_merge / 1e6:.0f} M | srec_cat {ins_srec / 1e6:.0f} M | {ins_srec / ins_merge:.1f}x |")
    print(f"| ELF (4 MiB of data) -> HEX | {ins_elf / 1e6:.0f} M | objcopy {ins_objcopy / 1e6:.0f} M | {ins_objcopy / ins_elf:.1f}x |")
PY
