#!/usr/bin/env bash
# Benchmarks NuttX-compatible numbering (`syscalls list --lookup --config`)
# against the C preprocessor, which is what NuttX itself runs on
# include/sys/syscall_lookup.h, on generated lookup files of 1000, 10000
# and 40000 `#ifdef` blocks, half of whose options are set. Both must keep
# the same calls (checked before timing); the figures show mcu-build's time
# growing linearly with the file, as cpp's does. Prints a Markdown table
# (ratio = mcu-build's time / cpp's, lower is better).
#
# Needs: hyperfine, cpp (installs what is missing with apt-get).
# Usage: benches/syscall-lookup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
need hyperfine || apt-get install -y -qq hyperfine >/dev/null
need cpp || apt-get install -y -qq cpp >/dev/null

cargo build --release -q
mcu=${CARGO_TARGET_DIR:-$PWD/target}/release/mcu-build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "| #ifdef blocks | mcu-build | cpp -P | ratio |"
echo "|---:|---:|---:|---:|"
for blocks in 1000 10000 40000; do
    dir="$work/$blocks"
    mkdir -p "$dir"
    # The lookup file, the CSV that names its calls, and the same options
    # as a .config (for mcu-build) and as a header of #defines (for cpp).
    {
        echo 'SYSCALL_LOOKUP1(_exit, 1)'
        for ((i = 0; i < blocks; i++)); do
            printf '#ifdef CONFIG_F%d\nSYSCALL_LOOKUP(f%d, 1)\n#endif\n' "$i" "$i"
        done
    } > "$dir/syscall_lookup.h"
    {
        echo '"_exit","","","noreturn","int"'
        for ((i = 0; i < blocks; i++)); do
            printf '"f%d","","defined(CONFIG_F%d)","int","int"\n' "$i" "$i"
        done
    } > "$dir/syscall.csv"
    for ((i = 0; i < blocks; i += 2)); do
        printf 'CONFIG_F%d=y\n' "$i"
    done > "$dir/.config"
    echo 'CONFIG_APPS_DIR="../apps"' >> "$dir/.config"
    grep '=y$' "$dir/.config" | sed 's/^\(CONFIG_F[0-9]*\)=y$/#define \1 1/' > "$dir/config.h"

    mine="$mcu syscalls list --csv $dir/syscall.csv --lookup $dir/syscall_lookup.h --config $dir/.config --json"
    reference="cpp -P -include $dir/config.h $dir/syscall_lookup.h"
    kept=$($mine | grep -c '"name"')
    expected=$($reference | grep -c SYSCALL_LOOKUP)
    if [ "$kept" != "$expected" ]; then
        echo "mcu-build keeps $kept calls, cpp $expected: not the same" >&2
        exit 1
    fi
    # (hyperfine warns of outliers on a busy machine; the table says enough.)
    hyperfine -N --warmup 2 --export-json "$dir/times.json" "$mine" "$reference" >/dev/null 2>&1
    python3 - "$dir/times.json" "$blocks" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
mine, reference = (r["mean"] for r in results)
print(f"| {sys.argv[2]} | {mine * 1000:.1f} ms | {reference * 1000:.1f} ms | {mine / reference:.2f} |")
PY
done
