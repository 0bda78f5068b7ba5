#!/bin/sh
# What the `flash` feature (probe-rs) costs: clean release build time and
# the size of the mcu-build binary, with the default features and with
# --no-default-features. Each variant builds in its own target directory
# from nothing, so both times include every dependency; run it on an idle
# machine, the times scale with the cores.
#
#   benches/flash-feature.sh            # prints a table
set -eu
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() { # name, cargo flags...
    name=$1
    shift
    start=$(date +%s)
    CARGO_TARGET_DIR="$work/$name" cargo build --release --locked --quiet --bin mcu-build "$@"
    end=$(date +%s)
    bin="$work/$name/release/mcu-build"
    crates=$(CARGO_TARGET_DIR="$work/$name" cargo tree --edges normal --prefix none "$@" 2>/dev/null | sort -u | wc -l)
    printf '%-22s %6s s %8s KiB %5s crates\n' "$name" "$((end - start))" "$(($(stat -c %s "$bin") / 1024))" "$crates"
}

printf '%-22s %8s %12s %11s\n' "variant" "build" "binary" "dependencies"
measure with-flash
measure without-flash --no-default-features
printf 'cores: %s, rustc: %s\n' "$(nproc)" "$(rustc --version)"
