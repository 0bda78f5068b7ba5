#!/usr/bin/env bash
# Benchmarks `mcu-build protect` on a real NuttX tree against NuttX's own
# build run by hand, both measured in this run, and prints a Markdown
# table:
#   - a clean build: `make clean` first, then `make` by hand against
#     `mcu-build protect` (which runs the same make, then inspects both
#     blobs, checks struct userspace_s and NuttX's run-time MPU setup,
#     merges and writes build.json); target: at most 2% more;
#   - a no-op build in a built tree: `make` against `mcu-build protect`;
#     target: under 0.2 s more.
# The tree is the user's: it is copied (with its apps beside it) to a
# temporary directory, and everything runs there.
#
# Needs: hyperfine, jq, the tree's toolchain, a configured protected tree
# (its nuttx-apps at ../apps). The project accepts an over-grant, so that a
# stock configuration builds.
# Usage: NUTTX_TREE=path/to/nuttx benches/nuttx-protect.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."

: "${NUTTX_TREE:?set NUTTX_TREE to a configured protected NuttX tree (apps beside it)}"
need() { command -v "$1" >/dev/null 2>&1; }
need hyperfine || apt-get install -y -qq hyperfine >/dev/null
need jq || apt-get install -y -qq jq >/dev/null

runs=${1:-3}
cargo build --release -q
mcu=${CARGO_TARGET_DIR:-$PWD/target}/release/mcu-build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree=$(cd "$NUTTX_TREE" && pwd -P)
apps=$(cd "$tree/../apps" && pwd -P)
cp -a "$tree" "$work/nuttx"
cp -a "$apps" "$work/apps"
cat >"$work/mcu-build.toml" <<TOML
[nuttx]
tree = "nuttx"
make = "make"
over-grant = "accept"
TOML
# Configuring a tree makes absolute symbolic links into it (Make.defs,
# arch/arm/src/board, include/arch, ...): point the copy's at the copy, so
# that nothing builds into the original.
find "$work/nuttx" "$work/apps" -type l | while read -r link; do
  target=$(readlink "$link")
  case $target in
    "$tree"/*) ln -sfn "$work/nuttx${target#"$tree"}" "$link" ;;
    "$apps"/*) ln -sfn "$work/apps${target#"$apps"}" "$link" ;;
  esac
done
if ! (cd "$work/nuttx" && make -s clean && make -s) >"$work/build.log" 2>&1; then
  echo "the copy of the tree does not build; the end of its make:" >&2
  tail -20 "$work/build.log" >&2
  exit 1
fi

hyperfine --style none --export-json "$work/clean.json" --runs "$runs" \
  -n protect --prepare "make -s -C $work/nuttx clean >/dev/null 2>&1" "cd $work && $mcu protect >/dev/null 2>&1" \
  -n by-hand --prepare "make -s -C $work/nuttx clean >/dev/null 2>&1" "make -s -C $work/nuttx >/dev/null 2>&1" >&2
(cd "$work" && "$mcu" protect >/dev/null 2>&1)
hyperfine --style none --export-json "$work/noop.json" --warmup 1 --runs $((runs * 3)) \
  -n protect "cd $work && $mcu protect >/dev/null 2>&1" \
  -n by-hand "make -s -C $work/nuttx >/dev/null 2>&1" >&2

mean() { jq ".results[] | select(.command == \"$2\") | .mean" "$work/$1.json"; }
board=$(sed -n 's/^CONFIG_ARCH_BOARD="\(.*\)"/\1/p' "$work/nuttx/.config")
echo "| $board | mcu-build protect | make by hand | difference |"
echo "| --- | --- | --- | --- |"
awk -v p="$(mean clean protect)" -v h="$(mean clean by-hand)" 'BEGIN { printf "| clean build | %.2f s | %.2f s | %+.1f%% |\n", p, h, (p / h - 1) * 100 }'
awk -v p="$(mean noop protect)" -v h="$(mean noop by-hand)" 'BEGIN { printf "| no-op build | %.3f s | %.3f s | %+.3f s |\n", p, h, p - h }'
