#!/usr/bin/env bash
# Benchmarks `mcu-build protect` on the bundled firmware (qemu-mps2-an386)
# and prints a Markdown table:
#   - a clean protect against the two cargo builds it runs, by hand, with
#     the same flags and the same generated files (the overhead of planning,
#     inspection, sealing, verification, merging and writing; target <= 5%);
#   - a no-op protect after a build (target < 0.5 s), against the two no-op
#     cargo builds by hand;
#   - where the image bytes go: kernel and user flash use, the header, and
#     the alignment padding of the plan (from build.json).
#
# Needs: hyperfine, jq, the thumb targets. Usage: benches/protect.sh [RUNS]
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
by_hand="cd firmware-userspace && MCU_BUILD_GEN_DIR=$work/gen CARGO_TARGET_DIR=$work/cargo \
cargo build -q --release --target $triple --bin user && cd ../firmware-kernel && \
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
padding=$(jq '.plan["alignment-padding"]' "$manifest")

echo "| measurement | mcu-build protect | by hand (2 x cargo build) | overhead |"
echo "| --- | --- | --- | --- |"
awk -v p="$clean_protect" -v h="$clean_hand" 'BEGIN { printf "| clean build | %.2f s | %.2f s | %+.1f%% |\n", p, h, (p / h - 1) * 100 }'
awk -v p="$noop_protect" -v h="$noop_hand" 'BEGIN { printf "| no-op build | %.3f s | %.3f s | %+.3f s |\n", p, h, p - h }'
echo
echo "| image bytes ($board) | bytes |"
echo "| --- | --- |"
echo "| kernel flash used | $kernel_flash |"
echo "| user flash used (64-byte header included) | $user_flash |"
echo "| alignment padding between partitions | $padding |"
