#!/usr/bin/env bash
# Counts the guest instructions of one context switch of the bundled kernel
# (examples/processes: three processes round robin on the SysTick) on
# qemu-mps2-an386 (ARMv7-M, PMSAv7) and qemu-mps2-an505 (ARMv8-M, PMSAv8),
# in instructions executed, not wall time, and prints a Markdown table.
#
# How it counts: QEMU runs the image with `-singlestep` (one instruction
# per translation block) and `-d exec,nochain,int`, so the log has one
# `Trace` line per instruction about to execute and one `Taking exception`
# line per exception. `-icount shift=5` drives the clock, and so the
# SysTick, from the instruction count (32 ns per instruction, about the
# boards' 25 MHz): the run is deterministic and two runs must give the same
# counts, which the script checks. Two kinds of `Trace` line are not
# executions and are dropped: a block followed by `Stopped execution of TB
# chain` (an interrupt was taken before it ran) and one followed by
# `cpu_io_recompile: rewound` (icount re-executes an instruction that
# touched a device register, which is logged again).
#
# A window opens at the first kernel instruction after one in a process's
# flash (from build.json): the first instruction of the handler of the
# exception that took the process back (`tick_handler`: the SysTick;
# `svc_handler`: a system call; `fault_trampoline`: a fault), and closes at
# the first instruction back in a process's flash. Its instructions are
# split, with the kernel ELF's symbols, into
#   handlers:  the trap's handler, up to its exception return into the
#              kernel thread (the instruction after the kernel's `svc 0xff`),
#              plus the SysTick handler when the tick lands while the
#              kernel thread serves the call (the tick that ends the slice
#              of a process that makes calls all the time);
#   scheduler: the kernel thread from there, serving the system call if
#              that was the trap, checking the time slice and choosing the
#              next process, up to its `svc 0xff`, without the MPU part;
#   MPU:       the instructions inside `kernel::mpu::load` (loading the
#              next process's regions);
#   return:    the kernel's `svc 0xff` and `svc_handler`, up to its
#              exception return into the next process.
# The hardware's own exception entry and return (stacking and unstacking
# eight words) execute no instruction and are not counted.
#
# A context switch is a window whose process differs from the one it left.
# Left out of the figures, and counted below the table: windows with a
# fault (the report goes to the console), windows in which the kernel slept
# in `wfi` (nobody was ready), windows interrupted elsewhere than in the
# kernel thread (a SysTick tail-chained onto the return to the process,
# which then never ran), and each process's last trap (its exit). Windows
# that resume the same process (a SysTick within the slice, a system call
# answered at once) are shown for comparison. ICOUNT_SHIFT (default 5)
# sets the virtual clock: it moves where the ticks land, not what a path
# costs.
#
# Needs: qemu-system-arm, arm-none-eabi-nm/objdump, jq, the thumb targets.
# Usage: benches/context-switch.sh [BOARD...]
#        (default: qemu-mps2-an386 qemu-mps2-an505)
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
need jq || apt-get install -y -qq jq >/dev/null
for tool in qemu-system-arm arm-none-eabi-nm arm-none-eabi-objdump; do
    need "$tool" || { echo "context-switch.sh: $tool is not installed" >&2; exit 1; }
done

# One instruction per translation block: QEMU 8.1 replaced -singlestep
# with the TCG option one-insn-per-tb.
read -r major minor < <(qemu-system-arm --version | sed -n '1s/.*version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
if [ "$major" -gt 8 ] || { [ "$major" -eq 8 ] && [ "$minor" -ge 1 ]; }; then
    one_insn=(-accel tcg,one-insn-per-tb=on)
else
    one_insn=(-singlestep)
fi

# QEMU's -icount shift: one instruction takes 2^shift ns of virtual time.
shift=${ICOUNT_SHIFT:-5}

boards=("$@")
[ ${#boards[@]} -gt 0 ] || boards=(qemu-mps2-an386 qemu-mps2-an505)

cargo build -q
mcu=${CARGO_TARGET_DIR:-$PWD/target}/debug/mcu-build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The example, built where `mcu-build protect` puts it (its target/ is
# not tracked).
example=examples/processes/mcu-build.toml

# The trace analyser: reads QEMU's log and prints one line per window:
# trap kind, process left, process entered, then instructions in the
# handlers, the scheduler, the MPU load and the return, the number of
# exceptions the kernel thread took inside the window (a SysTick landing
# while it served the call), and the window's status: ok, idle (it ran
# `wfi`: nobody was ready), or interrupted (an exception taken in a
# handler, or tail-chained onto the return to the process, which then
# never ran). Addresses are compared as 8-digit lower-case hex strings,
# prefixed with "x" so that awk compares them as strings.
# shellcheck disable=SC2016
analyse='
function hex(s,    i, v) {
    v = 0
    for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
    return v
}
function owner(pc,    i) {
    for (i = 1; i <= nproc; i++) if (pc >= lo[i] && pc < hi[i]) return i
    return 0
}
function commit(pc, count,    who) {
    who = owner(pc)
    if (who) {
        if (open) {
            print kind, name[from], name[who], entry, sched, mpu, ret, nested_count, status
            open = 0
        }
        from = who
    } else {
        if (!open && last) {
            open = 1; phase = "entry"; status = "ok"
            entry = sched = mpu = ret = nested = nested_count = executed = 0
            kind = pc == tick ? "tick" : pc == svc_handler ? "svc" : pc == fault ? "fault" : "other"
        }
        if (open) {
            # A handler entered without a `Taking exception` line: a
            # SysTick tail-chained onto an exception return.
            if (executed > 0 && !nested && (pc == tick || pc == fault)) status = "interrupted"
            executed += count
            if (pc in wfi) status = "idle"
            if (nested) entry += count
            else {
                if (phase == "entry" && pc == resume) phase = "sched"
                if (phase == "sched" && pc == svc) phase = "return"
                if (pc >= mpu_lo && pc < mpu_hi) mpu += count
                else if (phase == "entry") entry += count
                else if (phase == "sched") sched += count
                else ret += count
            }
        }
    }
    last = who
}
BEGIN {
    OFS = "\t"
    nproc = split(processes, spec, ",")
    for (i = 1; i <= nproc; i++) {
        split(spec[i], part, ":")
        name[i] = part[1]; lo[i] = "x" part[2]; hi[i] = "x" part[3]
    }
    n = split(wfis, list, ",")
    for (i = 1; i <= n; i++) wfi["x" list[i]] = 1
    tick = "x" tick; svc_handler = "x" svc_handler; fault = "x" fault
    resume = "x" resume; svc = "x" svc; mpu_lo = "x" mpu_lo; mpu_hi = "x" mpu_hi
}
/^Trace / {
    if (pending != "") commit(pending, pending_count)
    split(substr($4, 2), field, "/")
    # The last 8 hex digits: newer QEMUs print the PC unpadded, 64 bits wide.
    pending = "x" substr("00000000" field[2], length(field[2]) + 1)
    pending_count = hex(substr(field[4], 6, 3)) % 512
    next
}
/^Stopped execution of TB chain|^cpu_io_recompile: rewound/ { pending = ""; next }
/^Taking exception/ {
    if (pending != "") commit(pending, pending_count)
    pending = ""
    # 2 is an svc (the one of the kernel, in the return), 8 an exception return.
    if (open && $3 == 8) nested = 0
    else if (open && $3 != 2) {
        if (phase == "sched" && !nested) { nested = 1; nested_count++ }
        else status = "interrupted"
    }
}
END { if (pending != "") commit(pending, pending_count) }
'

# min / median / max of the numbers on stdin (the median of an even count
# is the mean of the middle two).
stats() {
    sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "-"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        if (v[1] == v[NR]) print v[1]; else printf "%d / %g / %d\n", v[1], m, v[NR]
    }'
}

# symbol ELF NAME: the 8-digit hex address and size (hex; 0 when the
# symbol has none) of function NAME.
symbol() {
    local found
    # `nm -S` lines are "address size type name", or "address type name"
    # for a symbol without a size (the assembly handlers).
    found=$(arm-none-eabi-nm -C -S "$1" | awk -v want="$2" '{
        first = length($2) == 1 ? 3 : 4
        sym = $first; for (i = first + 1; i <= NF; i++) sym = sym " " $i
        if (sym == want) { print $1, (first == 4 ? $2 : 0); exit }
    }')
    [ -n "$found" ] || { echo "context-switch.sh: $1: no symbol $2" >&2; exit 1; }
    echo "$found"
}

# trace BOARD OUT RUN: boots the image and writes its windows to RUN.
trace() {
    local board=$1 out=$2 run=$3 elf=$2/kernel.elf machine
    machine=$(sed -n 's/^qemu-machine *= *"\(.*\)"/\1/p' "src/board/boards/$board.toml")
    [ -n "$machine" ] || { echo "context-switch.sh: src/board/boards/$board.toml: no qemu-machine" >&2; exit 1; }
    local tick svc_handler fault mpu svcs processes=""
    tick=$(symbol "$elf" tick_handler | cut -d' ' -f1)
    svc_handler=$(symbol "$elf" svc_handler | cut -d' ' -f1)
    fault=$(symbol "$elf" fault_trampoline | cut -d' ' -f1)
    mpu=$(symbol "$elf" kernel::mpu::load)
    # The kernel's own `svc 0xff` (process.rs, switch_to_user): the
    # kernel thread resumes at the next instruction (2 bytes on).
    svcs=$(arm-none-eabi-objdump -d "$elf" | awk '$3 == "svc" && $4 == "255" { sub(":", "", $1); printf "%08s\n", $1 }' | tr " " 0)
    [ "$(wc -w <<<"$svcs")" = 1 ] || { echo "context-switch.sh: $elf: expected one 'svc 255', found: ${svcs:-none}" >&2; exit 1; }
    # Where the kernel sleeps until an interrupt (a window that runs one
    # waited for a process to become ready).
    local wfis
    wfis=$(arm-none-eabi-objdump -d "$elf" | awk '$3 == "wfi" { sub(":", "", $1); printf "%s%08s", n++ ? "," : "", $1 }' | tr " " 0)
    local name start end
    while read -r name start end; do
        processes+="${processes:+,}$name:$(printf '%08x:%08x' "$start" "$end")"
    done < <(jq -r '.processes[] | "\(.name) \(.flash.start) \(.flash.end)"' "$out/build.json")
    [ -n "$processes" ] || { echo "context-switch.sh: $out/build.json: no processes" >&2; exit 1; }
    mkfifo "$work/log"
    timeout 600 qemu-system-arm -M "$machine" -nographic \
        -semihosting-config enable=on,target=native,arg=combined.hex,arg=0 \
        -device "loader,file=$out/combined.hex" \
        "${one_insn[@]}" -icount "shift=$shift" -d exec,nochain,int -D "$work/log" >"$run.console" &
    local qemu=$!
    awk -v processes="$processes" -v wfis="$wfis" -v tick="$tick" -v svc_handler="$svc_handler" -v fault="$fault" \
        -v svc="$svcs" -v resume="$(printf '%08x' $((0x$svcs + 2)))" \
        -v mpu_lo="${mpu% *}" -v mpu_hi="$(printf '%08x' $((0x${mpu% *} + 0x${mpu#* })))" \
        "$analyse" <"$work/log" >"$run"
    # The demo's verdict is the run's status (0: every check held).
    wait "$qemu" || { echo "context-switch.sh: the demo failed on $board (see $run.console)" >&2; exit 1; }
    rm "$work/log"
    grep -q "exited with status 0" "$run.console" || {
        echo "context-switch.sh: $board: the demo did not run to its end:" >&2
        cat "$run.console" >&2
        exit 1
    }
}

# row RUN LABEL FILTER: one table row over the windows FILTER keeps, FILTER
# being an awk condition on the fields ($1 kind, $2 process left, $3
# process entered, $8 exceptions taken by the kernel thread). Only windows
# with status ok count, and not each process's last trap (its exit, or
# its final fault): that is no switch.
row() {
    local rows="$work/rows"
    awk -F'\t' '{ line[NR] = $0; lastfrom[$2] = NR } END {
        for (i = 1; i <= NR; i++) { split(line[i], f, "\t"); if (lastfrom[f[2]] != i) print line[i] }
    }' "$1" | awk -F'\t' "\$9 == \"ok\" && ($3)" >"$rows"
    local n total
    n=$(wc -l <"$rows")
    [ "$n" -gt 0 ] || return 0
    total=$(awk -F'\t' '{ print $4 + $5 + $6 + $7 }' "$rows" | stats)
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$board" "$2" "$n" "$total" \
        "$(cut -f4 "$rows" | stats)" "$(cut -f5 "$rows" | stats)" \
        "$(cut -f6 "$rows" | stats)" "$(cut -f7 "$rows" | stats)"
}

echo "| board | trap, then | windows | instructions (min / median / max) | handlers | scheduler | MPU reprogramming | return to process |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
notes=()
for board in "${boards[@]}"; do
    "$mcu" protect --config "$example" --board "$board" >/dev/null 2>"$work/protect.err" || {
        cat "$work/protect.err" >&2
        exit 1
    }
    out=examples/processes/target/mcu-build/$board
    trace "$board" "$out" "$work/run1"
    trace "$board" "$out" "$work/run2"
    if cmp -s "$work/run1" "$work/run2"; then
        stable="identical in two runs"
    else
        stable="DIFFERENT in two runs ($(diff "$work/run1" "$work/run2" | grep -c '^[<>]') window lines differ)"
    fi
    row "$work/run1" "SysTick in the process, next process" '$1 == "tick" && $2 != $3 && $8 == 0'
    row "$work/run1" "svc, next process" '$1 == "svc" && $2 != $3 && $8 == 0'
    row "$work/run1" "svc, SysTick in the kernel (slice over), next process" '$1 == "svc" && $2 != $3 && $8 > 0'
    row "$work/run1" "SysTick in the process, same process" '$1 == "tick" && $2 == $3 && $8 == 0'
    row "$work/run1" "svc served, same process" '$1 == "svc" && $2 == $3 && $8 == 0'
    count() { awk -F'\t' "$1" "$work/run1" | wc -l; }
    notes+=("$board: $(count 1) windows, $stable; left out: $(count '$1 == "fault"') with a fault, \
$(count '$1 != "fault" && $9 == "idle"') in which the kernel slept in wfi, \
$(count '$1 != "fault" && $9 == "interrupted"') interrupted, the processes' last traps, \
$(count '$1 == "svc" && $2 == $3 && $8 > 0') served calls with a SysTick in the kernel")
done
echo
for note in "${notes[@]}"; do echo "- $note"; done
