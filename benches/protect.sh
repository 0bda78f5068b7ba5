#!/usr/bin/env bash
# Benchmarks `mcu-build protect` on the bundled firmware (qemu-mps2-an386)
# and prints a Markdown table:
#   - a clean protect against the two cargo builds it runs, by hand, with
#     the same flags and the same generated files (the overhead of planning,
#     inspection, sealing, verification, merging and writing; target <= 5%);
#   - a no-op protect after a build (target < 0.5 s), against the two no-op
#     cargo builds by hand;
#   - where the image bytes go: kernel and user flash use, the header, and
#     the alignment loss of the plan (from build.json);
#   - protected against flat (`mcu-build flat`: the same demo linked into
#     the kernel, no MPU, plain calls), measured on the real ELFs with
#     arm-none-eabi-size and arm-none-eabi-nm: the syscall layer, the code
#     only protection needs, the second copy of core/alloc/formatting in
#     the user blob, and the bytes between the partitions.
#
# Needs: hyperfine, jq, arm-none-eabi-size/nm, the thumb targets.
# Usage: benches/protect.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
need hyperfine || apt-get install -y -qq hyperfine >/dev/null
need jq || apt-get install -y -qq jq >/dev/null

runs=${1:-5}
board=qemu-mps2-an386
triple=thumbv7em-none-eabi
cargo build --release -q
mcu=${CARGO_TARGET_DIR:-$PWD/target}/release/mcu-build
out=$PWD/target/mcu-build/$board
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One build to have the generated directory the hand builds use.
"$mcu" protect >/dev/null 2>&1
cp -r "$out/gen" "$work/gen"
by_hand="cd firmware/userspace && MCU_BUILD_GEN_DIR=$work/gen CARGO_TARGET_DIR=$work/cargo \
cargo build -q --release --target $triple --bin user && cd ../kernel && \
MCU_BUILD_GEN_DIR=$work/gen CARGO_TARGET_DIR=$work/cargo cargo build -q --release --target $triple --bin kernel"

hyperfine --style none --export-json "$work/clean.json" --runs "$runs" \
  -n protect --prepare "rm -rf $out" "$mcu protect" \
  -n by-hand --prepare "rm -rf $work/cargo" "$by_hand" >&2
"$mcu" protect >/dev/null 2>&1
hyperfine --style none --export-json "$work/noop.json" --warmup 1 --runs $((runs * 4)) \
  -n protect "$mcu protect" \
  -n by-hand "$by_hand" >&2

mean() { jq ".results[] | select(.command == \"$2\") | .mean" "$work/$1.json"; }
clean_protect=$(mean clean protect); clean_hand=$(mean clean by-hand)
noop_protect=$(mean noop protect); noop_hand=$(mean noop by-hand)
manifest=$out/build.json
kernel_flash=$(jq '.kernel.used["kernel-flash"]' "$manifest")
user_flash=$(jq '.user.used["user-flash"]' "$manifest")
padding=$(jq '.plan.loss.bytes' "$manifest")

echo "| measurement | mcu-build protect | by hand (2 x cargo build) | overhead |"
echo "| --- | --- | --- | --- |"
awk -v p="$clean_protect" -v h="$clean_hand" 'BEGIN { printf "| clean build | %.2f s | %.2f s | %+.1f%% |\n", p, h, (p / h - 1) * 100 }'
awk -v p="$noop_protect" -v h="$noop_hand" 'BEGIN { printf "| no-op build | %.3f s | %.3f s | %+.3f s |\n", p, h, p - h }'
echo
echo "| image bytes ($board) | bytes |"
echo "| --- | --- |"
echo "| kernel flash used | $kernel_flash |"
echo "| user flash used (64-byte header included) | $user_flash |"
echo "| alignment loss of the plan (gaps before aligned partitions) | $padding |"

# Protected against flat, from the ELFs.
"$mcu" flat >/dev/null 2>&1
kernel=$out/kernel.elf user=$out/user.elf flat=$out/flat/flat.elf
# Flash bytes of an ELF: .text + .data (its load image), as `size` counts.
flash() { arm-none-eabi-size -A "$1" | awk '$1 == ".vectors" || $1 == ".user_header" || $1 == ".text" || $1 == ".rodata" || $1 == ".ARM.exidx" || $1 == ".data" { s += $2 } END { print s }'; }
# Bytes of the symbols (nm -S, demangled) whose lines match an extended
# regex. With LTO much is inlined into its caller, so a group counts the
# functions that survive under its names.
symbols() {
  local total=0 size
  while read -r size; do total=$((total + 16#$size)); done < <(
    arm-none-eabi-nm -S -C "$1" | grep -E "$2" | awk 'NF >= 4 { print $2 }')
  echo "$total"
}
k=$(flash "$kernel"); u=$(flash "$user"); f=$(flash "$flat")
bin=$(stat -c %s "$out/combined.bin")
protection=$(symbols "$kernel" 'kernel::(protected|admission|process|faults|mpu|user_memory|thumb)|svc_handler|fault_trampoline|BootAllocator')
shared_re=' [tT] (core::|alloc::|compiler_builtins|<.* as core::fmt|__aeabi|memcpy|memset|memmove)'
user_shared=$(symbols "$user" "$shared_re")
flat_shared=$(symbols "$flat" "$shared_re")
kernel_shared=$(symbols "$kernel" "$shared_re")
duplicated=$((kernel_shared + user_shared - flat_shared))
rest=$((k + u - f - protection - duplicated - 64))
echo
echo "| image bytes, protected vs flat ($board) | bytes |"
echo "| --- | --- |"
echo "| protected: kernel.elf flash (text, rodata, data image) | $k |"
echo "| protected: user.elf flash (header, text, data image) | $u |"
echo "| protected: total | $((k + u)) |"
echo "| flat: flat.elf flash | $f |"
echo "| cost of protection | $((k + u - f)) ($(awk -v a=$((k + u)) -v b="$f" 'BEGIN { printf "%+.0f%%", (a / b - 1) * 100 }')) |"
echo "| - kernel code only protection needs: boot with the process loop, generated dispatch and pointer checks inlined; admission, faults, MPU (nm) | $protection |"
echo "| - second copy of core/alloc/formatting code: kernel $kernel_shared + user $user_shared vs flat $flat_shared (nm) | $duplicated |"
echo "| - user header | 64 |"
echo "| - rest: read-only data (messages of the protected kernel), svc proxies inlined into the user code | $rest |"
echo "| combined.bin (kernel, then 0xFF up to the user partition, then user) | $bin |"
echo "| - of which between the kernel's end and user flash | $((bin - k - u)) |"
