#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/convert.sh [--runs N] [--image VMDK] [--logs DIR]
#
# End-to-end and copy-step benchmark of ferry against virt-v2v, qemu-img
# convert and nbdcopy, all on the same VMware-exported guest and in one
# run, so every ratio is measured under the same machine load.
#
#   ferry      ferry convert -i disk IMG -o local -os D -of qcow2 -v
#              (--initramfs auto, which appends on the host for Debian)
#   ferry rebuild  the same with --initramfs rebuild (the guest's
#              update-initramfs in the appliance, as virt-v2v does)
#   virt-v2v   virt-v2v -i disk IMG -o local -os D -of qcow2
#              (LIBGUESTFS_BACKEND=direct)
#   qemu-img   qemu-img convert -p -f vmdk -O qcow2 IMG out.qcow2
#   nbdcopy    nbdcopy -- [ qemu-nbd -r -f vmdk IMG ] out.raw
#
# After the runs, one ferry copy of a 1 TiB sparse raw disk holding
# 64 MiB of data in 16 places measures ferry's own peak RSS on a large
# map (the goal: under 64 MiB; under 200 MiB for a conversion).  "self
# RSS" is ferry's getrusage(RUSAGE_SELF) peak from its -v output: ferry
# alone, without the appliance or qemu-nbd.  Each ferry run's phases
# (launch, inspection, each fix step, fstrim, shutdown, copy) come from
# its "phase" debug lines and are printed for the last run.
#
# ferry's copy step is its "ferry: debug: copy total X s" line; it copies
# the fixed and fstrimmed overlay, i.e. the same guest data minus freed
# blocks.  virt-v2v's copy step is the time between its "Copying disk"
# and its next stage line.
#
# Default image: /var/cache/ferry-tests/deb12-vmw-disk1.vmdk, built by
#   tests/images/real-debian12.sh /var/cache/ferry-tests
#
# Environment:
#   FERRY                  ferry binary (default: ../ferry next to this script)
#   FERRY_BENCH_SKIP_V2V=1 skip virt-v2v (quick iterations only: no
#                          end-to-end ratio is printed)
#   TMPDIR                 parent of the work dir (default /var/tmp)
#
# Everything is written to a private work dir, removed on exit; the
# tools' own temp files go there too (TMPDIR is pointed at it).  Nothing
# is written next to the source image.  With --runs N each figure is the
# median over N runs, taken per column.  --logs DIR keeps each tool's
# output and time figures (not the disks) in DIR.
#
# How things are measured: /usr/bin/time -f '%e %U %S %M' around each
# tool.  CPU = user + sys of the tool and of the children it waits for
# (libguestfs' qemu appliance is one).  Daemons that fork away are NOT
# counted: ferry's qemu-nbd servers (source, overlay and the qcow2
# writer) run with --fork, and so may virt-v2v's nbdkit/qemu-nbd.
# Peak RSS is ru_maxrss: the largest single process, not a sum.
# "sync s" is how long a `sync` right after the tool took, i.e. roughly
# the dirty data the tool left unflushed (qemu-img fdatasyncs its output,
# nbdcopy without --flush does not); it is not part of "wall s".

set -euo pipefail

prog="${0##*/}"
here="$(cd "$(dirname "$0")" && pwd)"
top="$(cd "$here/.." && pwd)"

die() { echo "$prog: $*" >&2; exit 1; }
say() { printf '%s: [%4d s] %s\n' "$prog" "$SECONDS" "$*" >&2; }
usage() {
    sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"
    exit "${1:-0}"
}

runs=1
logs=
img=/var/cache/ferry-tests/deb12-vmw-disk1.vmdk
while [ "$#" -gt 0 ]; do
    case "$1" in
        --runs) [ "$#" -ge 2 ] || die "--runs needs a number"; runs="$2"; shift 2 ;;
        --runs=*) runs="${1#--runs=}"; shift ;;
        --image) [ "$#" -ge 2 ] || die "--image needs a path"; img="$2"; shift 2 ;;
        --image=*) img="${1#--image=}"; shift ;;
        --logs) [ "$#" -ge 2 ] || die "--logs needs a directory"; logs="$2"; shift 2 ;;
        --logs=*) logs="${1#--logs=}"; shift ;;
        -h|--help) usage 0 ;;
        *) echo "$prog: unknown argument \"$1\"" >&2; usage 1 >&2 ;;
    esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs: \"$runs\" is not a positive number"

ferry="${FERRY:-$top/ferry}"
skip_v2v="${FERRY_BENCH_SKIP_V2V:-0}"
[ "$skip_v2v" = 1 ] || skip_v2v=0

[ -x "$ferry" ] || die "$ferry is missing: run 'make ferry' in $top"
[ -z "$logs" ] || mkdir -p -- "$logs" || die "cannot create $logs"
[ -z "$logs" ] || logs="$(cd "$logs" && pwd)"
[ -f "$img" ] || die "$img is missing: run $top/tests/images/real-debian12.sh $(dirname "$img")"
img="$(cd "$(dirname "$img")" && pwd)/$(basename "$img")"
tools=(/usr/bin/time qemu-img qemu-nbd nbdcopy guestfish du sync)
[ "$skip_v2v" = 1 ] || tools+=(virt-v2v)
for t in "${tools[@]}"; do
    command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done

name="$(basename "$img")"
name="${name%.*}"
img_id() { stat -c '%d:%i %s %Y' "$img"; }
img_id0="$(img_id)"

# ------------------------------------------------------------ work dir

work="$(mktemp -d "${TMPDIR:-/var/tmp}/ferry-bench.XXXXXX")"
# Keep libguestfs' appliance cache where it normally is, so the private
# TMPDIR below does not force a supermin rebuild.
export LIBGUESTFS_CACHEDIR="${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}"
export LIBGUESTFS_BACKEND=direct
mkdir "$work/tmp"
export TMPDIR="$work/tmp"

# Each measured command runs as its own process group (set -m), so it
# can be stopped as a whole.
set -m
child=

# Stop the running tool (SIGTERM first: ferry and virt-v2v clean up
# their appliance and NBD servers on it), then anything still running
# whose command line names the work dir (daemonised qemu-nbd, nbdkit,
# the appliance's qemu), by pid.
stop_leftovers() {
    local pid i args
    if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
        kill -TERM -- "-$child" 2>/dev/null || true
        for ((i = 0; i < 300; i++)); do
            kill -0 -- "-$child" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    child=
    for i in 1 2; do
        for pid in /proc/[0-9]*; do
            pid="${pid#/proc/}"
            [ "$pid" != "$$" ] || continue
            args="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" || continue
            case "$args" in
                *"$work/"*) kill "-$([ "$i" = 1 ] && echo TERM || echo KILL)" "$pid" 2>/dev/null || true ;;
            esac
        done
        [ "$i" = 2 ] || sleep 1
    done
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_leftovers
    rm -rf -- "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "$prog: interrupted" >&2; exit 130' INT
trap 'echo "$prog: terminated" >&2; exit 143' TERM

# run_timed TAG DIR CMD...: run CMD with stdout+stderr to DIR/TAG.log and
# /usr/bin/time's figures to DIR/TAG.time, then time a `sync` into
# DIR/TAG.sync.  Dies, showing the log's tail, if CMD fails.
run_timed() {
    local tag="$1" dir="$2" rc t0
    shift 2
    sync
    /usr/bin/time -f '%e %U %S %M' -o "$dir/$tag.time" "$@" \
        >"$dir/$tag.log" 2>&1 </dev/null &
    child=$!
    if wait "$child"; then rc=0; else rc=$?; fi
    child=
    if [ "$rc" -ne 0 ]; then
        tail -n 25 "$dir/$tag.log" >&2
        die "$tag failed (exit status $rc); see the log above"
    fi
    t0="$(date +%s.%N)"
    sync
    awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", b - a }' \
        >"$dir/$tag.sync"
}

# Figures of one timed run: "wall cpu rssMiB" (the last line of the time
# file: GNU time puts "Command exited with..." before it on failure).
time_fields() {
    tail -n 1 "$1" | awk '{ printf "%.1f %.1f %.0f\n", $1, $2 + $3, $4 / 1024 }'
}

# Seconds between virt-v2v's "Copying disk" stage line and the next one.
v2v_copy_seconds() {
    tr '\r' '\n' <"$1" | awk '
        /^\[ *[0-9.]+\] / {
            t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t)
            if (start != "" && !done) { printf "%.1f\n", t - start; done = 1 }
            if ($0 ~ /\] Copying disk/ && start == "") start = t
        }'
}

# size_fields FILE: "apparent allocated" in MiB.
size_fields() {
    printf '%s %s\n' \
        "$(du --apparent-size -B1 -- "$1" | awk '{ printf "%.0f", $1 / 1048576 }')" \
        "$(du -B1 -- "$1" | awk '{ printf "%.0f", $1 / 1048576 }')"
}

# self_rss LOG: ferry's own peak RSS in MiB, from its -v output.
self_rss() {
    sed -n 's/^ferry: debug: peak RSS of ferry itself: \([0-9.]*\) MiB$/\1/p' "$1" | tail -n 1
}

# phases LOG: "NAME SECONDS" for each phase line of a ferry -v log.
phases() {
    sed -n -e 's/^ferry: debug: appliance launched in \([0-9.]*\) s$/launch \1/p' \
           -e 's/^ferry: debug: phase \(.*\): \([0-9.]*\) s$/\1|\2/p' \
           -e 's/^ferry: debug: copy total \([0-9.]*\) s$/copy|\1/p' "$1" |
        sed 's/^launch /launch|/'
}

# median of the arguments ("-" if there are none).
median() {
    [ "$#" -gt 0 ] || { echo -; return; }
    printf '%s\n' "$@" | sort -g | awk '
        { v[NR] = $1 }
        END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%.1f\n", m }'
}

ratio() { # ratio A B -> A/B with 2 decimals, or "-"
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'
}

# --------------------------------------------------------------- runs

declare -A vals       # vals[tool.metric] = space-separated values, one per run
declare -A sizes      # sizes[tool] = "apparent allocated" (last run)
add() { vals[$1]="${vals[$1]:-}${vals[$1]:+ }$2"; }

say "image $img ($(du --apparent-size -h -- "$img" | cut -f1) file, $(qemu-img info --output=json -- "$img" | awk -F'[:,]' '/"virtual-size"/ { printf "%.1f GiB", $2 / 1073741824; exit }') virtual)"
say "work dir $work; $runs run(s); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# Untimed warm-up: the image into the page cache (for every tool alike)
# and the libguestfs appliance cache checked or rebuilt before the first
# tool that needs it is timed.
say "warm-up: reading the image and launching the libguestfs appliance once"
cat -- "$img" >/dev/null
if ! guestfish --ro -a /dev/null run >"$work/kvm-probe.log" 2>&1 </dev/null; then
    # KVM opens but cannot run the appliance (nested virtualisation):
    # the peers have no fallback; ferry finds out by itself.
    say "the libguestfs appliance fails under KVM here: the peers run under TCG"
    export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
fi
run_timed warmup "$work" guestfish --ro -a /dev/null run

ferry_appliance=()
ferry_copied=
for ((run = 1; run <= runs; run++)); do
    rd="$work/run$run"
    mkdir -p "$rd/ferry" "$rd/v2v" "$rd/copy"

    say "run $run/$runs: ferry convert"
    run_timed ferry "$rd" "$ferry" convert -i disk "$img" -o local -os "$rd/ferry" -of qcow2 -v
    read -r w c m <<<"$(time_fields "$rd/ferry.time")"
    add ferry.wall "$w"; add ferry.cpu "$c"; add ferry.rss "$m"; add ferry.sync "$(cat "$rd/ferry.sync")"
    copy="$(sed -n 's/^ferry: debug: copy total \([0-9.]*\) s$/\1/p' "$rd/ferry.log" | tail -n 1)"
    [ -n "$copy" ] || die "no 'ferry: debug: copy total' line in ferry's output ($rd/ferry.log)"
    add ferry.copy "$copy"
    a="$(sed -n 's/^ferry: debug: appliance work took \([0-9.]*\) s$/\1/p' "$rd/ferry.log" | tail -n 1)"
    [ -z "$a" ] || ferry_appliance+=("$a")
    ferry_copied="$(grep -E '^copied sd[a-z]+: ' "$rd/ferry.log" | tail -n 1 || true)"
    [ -f "$rd/ferry/$name-sda" ] || die "ferry wrote no $rd/ferry/$name-sda"
    sizes[ferry]="$(size_fields "$rd/ferry/$name-sda")"
    add ferry.self "$(self_rss "$rd/ferry.log")"
    say "  ferry: wall $w s, copy $copy s, appliance ${a:-?} s"
    phases "$rd/ferry.log" > "$work/phases.ferry"
    rm -rf -- "$rd/ferry"

    say "run $run/$runs: ferry convert --initramfs rebuild"
    mkdir -p "$rd/ferryrb"
    run_timed ferryrb "$rd" "$ferry" convert -i disk "$img" -o local -os "$rd/ferryrb" -of qcow2 -v \
        --initramfs rebuild
    read -r w c m <<<"$(time_fields "$rd/ferryrb.time")"
    add ferryrb.wall "$w"; add ferryrb.cpu "$c"; add ferryrb.rss "$m"; add ferryrb.sync "$(cat "$rd/ferryrb.sync")"
    add ferryrb.copy "$(sed -n 's/^ferry: debug: copy total \([0-9.]*\) s$/\1/p' "$rd/ferryrb.log" | tail -n 1)"
    add ferryrb.self "$(self_rss "$rd/ferryrb.log")"
    say "  ferry --initramfs rebuild: wall $w s"
    phases "$rd/ferryrb.log" > "$work/phases.ferryrb"
    rm -rf -- "$rd/ferryrb"

    if [ "$skip_v2v" = 0 ]; then
        say "run $run/$runs: virt-v2v (about 3 minutes)"
        run_timed v2v "$rd" virt-v2v -i disk "$img" -o local -os "$rd/v2v" -of qcow2
        read -r w c m <<<"$(time_fields "$rd/v2v.time")"
        add v2v.wall "$w"; add v2v.cpu "$c"; add v2v.rss "$m"; add v2v.sync "$(cat "$rd/v2v.sync")"
        copy="$(v2v_copy_seconds "$rd/v2v.log")"
        [ -z "$copy" ] || add v2v.copy "$copy"
        [ -f "$rd/v2v/$name-sda" ] || die "virt-v2v wrote no $rd/v2v/$name-sda"
        sizes[v2v]="$(size_fields "$rd/v2v/$name-sda")"
        say "  virt-v2v: wall $w s, copy ${copy:-?} s"
    fi

    say "run $run/$runs: qemu-img convert"
    run_timed qemuimg "$rd" qemu-img convert -p -f vmdk -O qcow2 "$img" "$rd/copy/qemu-img.qcow2"
    read -r w c m <<<"$(time_fields "$rd/qemuimg.time")"
    add qemuimg.wall "$w"; add qemuimg.cpu "$c"; add qemuimg.rss "$m"; add qemuimg.sync "$(cat "$rd/qemuimg.sync")"
    sizes[qemuimg]="$(size_fields "$rd/copy/qemu-img.qcow2")"

    say "run $run/$runs: nbdcopy"
    run_timed nbdcopy "$rd" nbdcopy -- [ qemu-nbd -r -f vmdk "$img" ] "$rd/copy/nbdcopy.raw"
    read -r w c m <<<"$(time_fields "$rd/nbdcopy.time")"
    add nbdcopy.wall "$w"; add nbdcopy.cpu "$c"; add nbdcopy.rss "$m"; add nbdcopy.sync "$(cat "$rd/nbdcopy.sync")"
    sizes[nbdcopy]="$(size_fields "$rd/copy/nbdcopy.raw")"

    # Only the figures are kept: the outputs are about 1 GiB each.
    rm -rf -- "$rd/ferry" "$rd/v2v" "$rd/copy"
    if [ -n "$logs" ]; then
        mkdir -p -- "$logs/run$run"
        cp -- "$rd"/*.log "$rd"/*.time "$rd"/*.sync "$logs/run$run/"
    fi
done

[ "$(img_id)" = "$img_id0" ] || die "$img changed during the benchmark; the figures are void"

say "ferry copy of a 1 TiB sparse disk (64 MiB of data in 16 places)"
mkdir "$work/sparse"
truncate -s 1T "$work/sparse.raw"
for i in $(seq 0 15); do
    dd if=/dev/urandom of="$work/sparse.raw" bs=1M count=4 seek=$((i * 65536)) \
       conv=notrunc status=none
done
run_timed sparse "$work" "$ferry" copy -v -i disk -if raw "$work/sparse.raw" \
    -o local -os "$work/sparse" -of qcow2
read -r w c m <<<"$(time_fields "$work/sparse.time")"
sparse_self="$(self_rss "$work/sparse.log")"
sparse_line="wall $w s, cpu $c s, ferry's own peak RSS ${sparse_self:-?} MiB (largest process $m MiB)"
say "  1 TiB sparse: $sparse_line"
rm -rf -- "$work/sparse" "$work/sparse.raw"

# ------------------------------------------------------------- report

med() { # med TOOL METRIC
    local -a v=()
    read -r -a v <<<"${vals[$1.$2]:-}"
    median "${v[@]}"
}

echo
echo "ferry benchmark: $name ($runs run(s)$([ "$runs" -gt 1 ] && echo ", medians per column"))"
echo "host: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-18s %8s %8s %14s %8s %8s\n' tool "wall s" "cpu s" "peak RSS MiB" "copy s" "sync s"
row() { # row LABEL TOOL
    printf '%-18s %8s %8s %14s %8s %8s\n' "$1" "$(med "$2" wall)" "$(med "$2" cpu)" \
        "$(med "$2" rss | awk '{ printf "%.0f", $1 }')" "$(med "$2" copy)" "$(med "$2" sync)"
}
row "ferry convert" ferry
row "ferry rebuild" ferryrb
if [ "$skip_v2v" = 0 ]; then
    row "virt-v2v" v2v
else
    printf '%-18s %8s\n' "virt-v2v" skipped
fi
row "qemu-img convert" qemuimg
row "nbdcopy" nbdcopy
echo
echo "  cpu s = user + sys of the tool and the children it waited for (incl."
echo "  libguestfs' qemu); NOT counted: daemons that fork away (ferry's qemu-nbd"
echo "  source and overlay servers; virt-v2v's nbdkit/qemu-nbd if daemonised)."
echo "  peak RSS = largest single process (ru_maxrss), not a sum."
echo "  copy s: ferry's 'copy total' debug line; virt-v2v's 'Copying disk' stage."
echo "  sync s: a sync right after the tool (unflushed writes it left), not in wall."
[ "${#ferry_appliance[@]}" -eq 0 ] ||
    echo "  ferry appliance work (inspect+fix+trim): $(median "${ferry_appliance[@]}") s"
[ -z "$ferry_copied" ] || echo "  ferry (last run): $ferry_copied"
[ -z "$logs" ] || echo "  logs: $logs"
echo
echo "ratios:"
if [ "$skip_v2v" = 0 ]; then
    echo "  end to end: ferry / virt-v2v = $(ratio "$(med ferry wall)" "$(med v2v wall)") (goal <= 0.25)"
    echo "  end to end: ferry --initramfs rebuild / virt-v2v = $(ratio "$(med ferryrb wall)" "$(med v2v wall)")"
    echo "  cpu:        ferry / virt-v2v = $(ratio "$(med ferry cpu)" "$(med v2v cpu)")"
    echo "  peak RSS:   ferry / virt-v2v = $(ratio "$(med ferry rss)" "$(med v2v rss)")"
else
    echo "  end to end: ferry / virt-v2v = skipped (FERRY_BENCH_SKIP_V2V=1)"
fi
echo "  initramfs:  ferry append / ferry rebuild = $(ratio "$(med ferry wall)" "$(med ferryrb wall)") (end to end)"
echo "  copy step:  ferry copy / qemu-img convert = $(ratio "$(med ferry copy)" "$(med qemuimg wall)") (goal <= 1.0)"
echo "  copy step:  ferry copy / nbdcopy          = $(ratio "$(med ferry copy)" "$(med nbdcopy wall)") (goal <= 0.8)"
[ "$skip_v2v" = 1 ] ||
    echo "  copy step:  ferry copy / virt-v2v copy    = $(ratio "$(med ferry copy)" "$(med v2v copy)")"
echo
echo "ferry's own peak RSS (MiB, without the appliance and qemu-nbd):"
echo "  convert (append) $(med ferry self), convert (rebuild) $(med ferryrb self) (goal < 200)"
echo "  copy of a 1 TiB sparse disk: $sparse_line (goal < 64)"
echo
echo "phases, last run (s):"
printf '  %-34s %10s %10s\n' phase append rebuild
awk -F'|' 'NR == FNR { rb[$1] = $2; next }
           { printf "  %-34s %10s %10s\n", $1, $2, ($1 in rb) ? rb[$1] : "-"; seen[$1] = 1 }
           END { for (k in rb) if (!(k in seen)) printf "  %-34s %10s %10s\n", k, "-", rb[k] }' \
    "$work/phases.ferryrb" "$work/phases.ferry"
echo
echo "output disk sizes (MiB$([ "$runs" -gt 1 ] && echo ", last run")):"
printf '  %-36s %10s %10s\n' disk apparent allocated
sizerow() { # sizerow LABEL TOOL
    local s
    if [ -n "${sizes[$2]:-}" ]; then
        read -r -a s <<<"${sizes[$2]}"
        printf '  %-36s %10s %10s\n' "$1" "${s[0]}" "${s[1]}"
    else
        printf '  %-36s %10s\n' "$1" skipped
    fi
}
sizerow "ferry ($name-sda, qcow2)" ferry
sizerow "virt-v2v ($name-sda, qcow2)" v2v
sizerow "qemu-img (qcow2)" qemuimg
sizerow "nbdcopy (raw)" nbdcopy
