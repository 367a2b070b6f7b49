# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034  # variables set here are for the tests
# shellcheck disable=SC2054  # commas inside qemu arguments are intended
# tests/functions.sh: helpers for the tests/test-*.sh scripts.
#
# Source it near the top of a test:
#
#     #!/bin/bash
#     set -euo pipefail
#     source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
#
# It does not change the caller's shell options.  It sets:
#
#     abs_top_srcdir    the source tree (default: the parent of this file)
#     abs_top_builddir  the build tree (default: the current directory)
#     FERRY             the ./ferry binary under test
#     FERRY_IMAGES      tests/images/ in the source tree
#     FERRY_DATADIR     the source tree's data/, unless already set (exported)
#     LIBGUESTFS_BACKEND=direct, unless already set
#
# and installs an EXIT trap (plus INT/TERM/HUP traps that exit through
# it) which runs the functions registered with at_exit.  A test that
# sets its own EXIT trap replaces it: register a function with at_exit
# instead.
#
# Exit codes follow automake: 0 pass, 77 skip, anything else fail.

abs_top_srcdir="${abs_top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
abs_top_builddir="${abs_top_builddir:-$(pwd)}"
FERRY="${FERRY:-$abs_top_builddir/ferry}"
FERRY_IMAGES="$abs_top_srcdir/tests/images"
# ferry reads the targets' data (data/drivers) from here, not from the
# installed copy.
export FERRY_DATADIR="${FERRY_DATADIR:-$abs_top_srcdir/data}"
export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
# Tests point TMPDIR at their own directory to catch leftovers; keep
# libguestfs' appliance cache out of it (and shared between tests).
export LIBGUESTFS_CACHEDIR="${LIBGUESTFS_CACHEDIR:-/var/tmp}"

# peer_guestfs CMD ARGS...: run a libguestfs tool that is not ferry
# (virt-cat, virt-diff).  They have no fallback when KVM opens but cannot
# run the appliance (nested virtualisation), so they run under TCG
# unless LIBGUESTFS_BACKEND_SETTINGS says otherwise.  ferry itself is
# left to detect it.
peer_guestfs() {
    LIBGUESTFS_BACKEND_SETTINGS="${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}" "$@"
}

# skip REASON: print "SKIP: REASON" and exit 77 (automake's skip code).
skip() {
    echo "SKIP: $*"
    exit 77
}

# fail MSG: print "FAIL: MSG" to stderr and exit 1.
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# require_cmd CMD...: skip the test if any CMD is not in $PATH.
require_cmd() {
    local cmd
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null 2>&1 || skip "$cmd is not installed"
    done
}

# require_root: skip the test unless running as root (loop devices, chroot).
require_root() {
    [ "$(id -u)" -eq 0 ] || skip "needs root"
}

# at_exit FUNC: call FUNC (no arguments) when the test exits, however it
# exits.  Functions run in reverse order of registration.
_ferry_exit_funcs=()
at_exit() {
    _ferry_exit_funcs+=("$1")
}

_ferry_t0=$SECONDS
_ferry_run_exit_funcs() {
    local i rc=$?
    for (( i = ${#_ferry_exit_funcs[@]} - 1; i >= 0; i-- )); do
        "${_ferry_exit_funcs[i]}" || true
    done
    _ferry_exit_funcs=()
    # The wall time of every test, in its .log (the budget is watched).
    echo "test time: $(( SECONDS - _ferry_t0 )) s (exit $rc)" >&2
}
trap _ferry_run_exit_funcs EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ferry_test_cache: print the directory for cached test guests, creating
# it.  It lives outside the clone and survives between runs:
# $FERRY_TEST_CACHE if set, else /var/cache/ferry-tests, else (when that
# is not writable, e.g. not root) ~/.cache/ferry-tests.
ferry_test_cache() {
    local dir="${FERRY_TEST_CACHE:-}"
    if [ -z "$dir" ]; then
        dir=/var/cache/ferry-tests
        if ! mkdir -p "$dir" 2>/dev/null || [ ! -w "$dir" ]; then
            dir="${XDG_CACHE_HOME:-$HOME/.cache}/ferry-tests"
        fi
    fi
    mkdir -p "$dir" || fail "cannot create test cache $dir (set FERRY_TEST_CACHE)"
    echo "$dir"
}

# mk_tmpdir: create a private temporary directory for this test, put its
# path in $tmpdir, and remove it when the test exits (keep it with
# FERRY_KEEP_TMP=1).  Call it directly, not in $(...): the removal is
# registered in the calling shell.
tmpdir=
mk_tmpdir() {
    [ "$BASH_SUBSHELL" -eq 0 ] || fail "mk_tmpdir: call it directly, not in a subshell"
    tmpdir="$(mktemp -d "${TMPDIR:-/tmp}/ferry-$(basename "$0" .sh).XXXXXX")" ||
        fail "mk_tmpdir: mktemp failed"
    at_exit _ferry_rm_tmpdir
}

_ferry_rm_tmpdir() {
    [ -n "$tmpdir" ] && [ -d "$tmpdir" ] || return 0
    if [ -n "${FERRY_KEEP_TMP:-}" ]; then
        echo "keeping $tmpdir" >&2
    else
        rm -rf --one-file-system -- "$tmpdir"
    fi
}

# sha256_of FILE: print the SHA-256 of FILE (hex, nothing else).
sha256_of() {
    local sum
    sum="$(sha256sum < "$1")" || return 1
    echo "${sum%% *}"
}

# apt_mirror SUITE: print the URI (no trailing "/") of the first enabled
# "deb" source of this host's apt that serves SUITE ("bookworm",
# "bookworm-security"), in the order apt reads them: sources.list, then
# sources.list.d/ (one-line *.list and deb822 *.sources).  The test
# guests are built from the host's own mirror: none is written down
# here.  If there is none, say so on stderr and return 1.
# $FERRY_APT_DIR replaces /etc/apt (to test this function).
apt_mirror() {
    local suite="$1" dir="${FERRY_APT_DIR:-/etc/apt}" f uri=
    local -a files=()
    for f in "$dir/sources.list" "$dir"/sources.list.d/*; do
        case "$f" in
            *.list | *.sources) [ -f "$f" ] && [ -r "$f" ] && files+=("$f") ;;
        esac
    done
    if [ "${#files[@]}" -gt 0 ]; then
        uri="$(awk -v want="$suite" '
            function has(list, w,   n, a, i) {
                n = split(list, a, /[ \t]+/)
                for (i = 1; i <= n; i++) if (a[i] == w) return 1
                return 0
            }
            # What debootstrap can fetch from (not mirror+, cdrom: ...).
            function usable(u) { return u ~ /^(https?|ftp|file):\/\// }
            # deb822: the stanza read so far ends.
            function stanza_end(   n, a, i) {
                if (!done && has(types, "deb") && tolower(enabled) !~ /^(no|false|0)$/ &&
                    has(suites, want)) {
                    n = split(uris, a, /[ \t]+/)
                    for (i = 1; i <= n && !done; i++)
                        if (usable(a[i])) { print a[i]; done = 1 }
                }
                types = uris = suites = enabled = field = ""
            }
            FNR == 1 { stanza_end() }
            done { next }
            FILENAME ~ /\.sources$/ {
                if ($0 ~ /^#/) next
                if ($0 ~ /^[ \t]*$/) { stanza_end(); next }
                if ($0 ~ /^[ \t]/) { line = $0 } else {
                    field = tolower($0); sub(/:.*/, "", field)
                    line = $0; sub(/^[^:]*:/, "", line)
                }
                gsub(/^[ \t]+|[ \t]+$/, "", line)
                if (field == "types") types = types " " line
                else if (field == "uris") uris = uris " " line
                else if (field == "suites") suites = suites " " line
                else if (field == "enabled") enabled = line
                sub(/^[ \t]+/, "", uris)
                next
            }
            {   # One-line style: deb [OPTIONS] URI SUITE [COMPONENT...]
                line = $0; sub(/#.*/, "", line)
                if (line !~ /^[ \t]*deb[ \t]/) next
                sub(/^[ \t]*deb[ \t]+/, "", line)
                if (line ~ /^\[/) sub(/^\[[^]]*\][ \t]*/, "", line)
                split(line, a, /[ \t]+/)
                if (a[2] == want && usable(a[1])) { print a[1]; done = 1 }
            }
            END { stanza_end() }' "${files[@]}")"
    fi
    uri="${uri%/}"
    if [ -z "$uri" ]; then
        echo "apt_mirror: no enabled \"deb\" source for suite \"$suite\" in $dir/sources.list or $dir/sources.list.d/*.list, *.sources: add one (the image builders also take \$FERRY_DEBIAN_MIRROR)" >&2
        return 1
    fi
    echo "$uri"
}

# need_real_debian12: build, once (it is cached), the real bootable
# Debian 12 guest exported like vSphere (tests/images/real-debian12.sh)
# and put the path of its VMDK in $deb12_vmdk.  Skips the test when it
# cannot be built here (not root, no debootstrap).  Call it directly, not
# in $(...), so that a skip ends the test.
deb12_vmdk=
need_real_debian12() {
    require_root
    require_cmd debootstrap qemu-img sfdisk losetup partx lsinitramfs
    deb12_vmdk="$("$FERRY_IMAGES/real-debian12.sh" "$(ferry_test_cache)")" ||
        fail "could not build the Debian 12 test guest"
}

# boot_guest DISK FORMAT LOG [TIMEOUT=300] [BUS=virtio] [NICSLOT=3]
#
# Boot DISK (FORMAT: raw, qcow2, vmdk...) under qemu TCG with the serial
# console written to LOG, until the guest prints its boot marker or
# fails.  The disk is opened with snapshot=on, so it is never written.
# BUS is virtio (virtio-blk), nvme, or ide (the pc machine's PIIX IDE,
# which an unconverted VMware guest's initramfs drives with ata_piix: the
# positive control).  The NIC is virtio-net on
# user-mode networking with restrict=on, in PCI slot NICSLOT (3: ens3 on
# the default pc machine; 5: ens5, where Nitro puts the ENA).
#
# Prints the matching line on stdout and returns:
#   0  "FERRY-BOOT-MARKER state=..." appeared
#   1  a boot failure appeared (no root device, kernel panic, emergency mode)
#   2  neither appeared within TIMEOUT seconds
#   3  qemu exited by itself first (bad arguments, guest rebooted/halted)
# On 1, 2 and 3 the tail of LOG goes to stderr (and on 3, qemu's stderr).  qemu is killed as soon
# as there is an answer, and when the caller exits or is interrupted.
#
# The body is a subshell, so it has its own EXIT trap and is safe to
# call in $(...).
boot_guest() (
    local disk="$1" fmt="$2" log="$3" timeout="${4:-300}" bus="${5:-virtio}" slot="${6:-3}"
    local marker='FERRY-BOOT-MARKER state='
    local failure='Gave up waiting for root|Kernel panic|You are in emergency mode|emergency mode'
    local -a qemu blkdev
    local pid line caller="$$" rc=0 start="$SECONDS" errfile

    [ -r "$disk" ] || { echo "boot_guest: cannot read $disk" >&2; return 3; }
    case "$bus" in
        virtio) blkdev=(-device virtio-blk-pci,drive=d0) ;;
        nvme)   blkdev=(-device nvme,serial=ferry0,drive=d0) ;;
        ide)    blkdev=(-device ide-hd,drive=d0,bus=ide.0) ;;
        *)      echo "boot_guest: unknown bus '$bus' (virtio, nvme or ide)" >&2; return 3 ;;
    esac

    qemu=(qemu-system-x86_64 -accel tcg -smp 2 -m 1024
          -nodefaults -display none -no-reboot
          -drive "file=${disk//,/,,},format=$fmt,if=none,id=d0,snapshot=on"
          "${blkdev[@]}"
          -netdev user,id=n0,restrict=on
          -device "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56,addr=$slot"
          -serial "file:$log")
    # If this subshell dies without running its trap, the kernel kills qemu.
    if command -v setpriv >/dev/null 2>&1; then
        qemu=(setpriv --pdeathsig KILL -- "${qemu[@]}")
    fi

    : > "$log"
    errfile="$(mktemp)"
    pid=
    trap '[ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }; rm -f "$errfile"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
    "${qemu[@]}" < /dev/null 2> "$errfile" &
    pid=$!

    while :; do
        # Serial output has CRs and may have escape sequences; a line of
        # ours may also follow kernel text that had no newline.
        line="$(grep -a -o -m1 -- "$marker.*" "$log" | tr -d '\r')" || true
        if [ -n "$line" ]; then
            echo "$line"
            return 0
        fi
        line="$(grep -a -m1 -E -- "$failure" "$log" |
                sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r//g')" || true
        if [ -n "$line" ]; then
            echo "$line"
            rc=1
            break
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" || rc=$?
            pid=
            echo "boot_guest: qemu exited (status $rc) before the guest answered" >&2
            sed 's/^/  qemu: /' "$errfile" >&2
            rc=3
            break
        fi
        if [ $(( SECONDS - start )) -ge "$timeout" ]; then
            echo "boot_guest: no marker or failure after $timeout s" >&2
            rc=2
            break
        fi
        # Stop if the calling test is gone.
        kill -0 "$caller" 2>/dev/null || exit 143
        sleep 1
    done
    echo "boot_guest: last lines of $log:" >&2
    tail -n 15 "$log" | sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r//g' -e 's/^/  | /' >&2
    return "$rc"
)

# check_clean WHAT: nothing was left behind in the output dir $out or
# in $TMPDIR, and no qemu-nbd of this test is still running.
check_clean() {
    [ -z "$(ls -A "$out")" ] || fail "$1: files left in the output dir: $(ls -A "$out")"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$1: temp files left: $(ls -A "$TMPDIR")"
    ! pgrep -f "qemu-nbd.*$TMPDIR" >/dev/null || fail "$1: qemu-nbd left running"
}

# expect_error WHAT PATTERN ARGS...: "ferry convert -q ARGS" (with
# "-o local -os $out" added unless ARGS has -os) must exit 1 with one
# line on stderr matching the extended regex PATTERN, leaving nothing
# behind (check_clean).
expect_error() {
    local what="$1" pattern="$2"; shift 2
    local err rc=0
    local -a args=("$@")
    [[ " $* " == *" -os "* ]] || args+=(-o local -os "$out")
    err="$("$FERRY" convert -q "${args[@]}" 2>&1 >/dev/null)" || rc=$?
    [ "$rc" -eq 1 ] || fail "$what: expected exit 1, got $rc: $err"
    grep -qE -- "$pattern" <<<"$err" || fail "$what: '$err' does not match '$pattern'"
    [ "$(wc -l <<<"$err")" -eq 1 ] || fail "$what: not one line: $err"
    check_clean "$what"
    echo "ok: $what: $err"
}

# phony_linux: build (once per version of the script; cached) the
# phony guests of tests/images/phony-linux.sh and put their directory in
# $phony_dir.  Call it directly, not in $(...).
phony_dir=
phony_linux() {
    require_cmd guestfish busybox
    local sum
    sum="$(sha256_of "$FERRY_IMAGES/phony-linux.sh")" || fail "phony_linux: no script"
    phony_dir="$(ferry_test_cache)/phony-linux-${sum:0:12}"
    if [ ! -f "$phony_dir/.done" ]; then
        # Builds of older versions of the script are of no more use.
        rm -rf "$phony_dir" "$(ferry_test_cache)"/phony-linux-*
        "$FERRY_IMAGES/phony-linux.sh" "$phony_dir" > "$phony_dir.log" 2>&1 ||
            { tail -n 20 "$phony_dir.log" >&2; fail "phony_linux: building the phony guests failed"; }
        touch "$phony_dir/.done"
    fi
}

# Change report assertions, on the report in $rep:
# diff_has FILE LINE: the report's diff for FILE contains LINE.
diff_has() {
    jq -e --arg f "$1" --arg l "$2" \
       '[.changes[] | select(.file == $f) | .diff | split("\n")] | add | index($l)' "$rep" >/dev/null ||
        fail "$(basename "$rep"): no line '$2' in the diff of $1: $(jq -r --arg f "$1" '.changes[] | select(.file == $f) | .diff' "$rep")"
}
changed() {
    jq -e --arg f "$1" '.changes[] | select(.file == $f and .action == "modified")' "$rep" >/dev/null ||
        fail "$(basename "$rep"): $1 not modified"
}
unchanged() {
    ! jq -e --arg f "$1" '.changes[] | select(.file == $f)' "$rep" >/dev/null ||
        fail "$(basename "$rep"): $1 should not change"
}

# converted_deb12: this build's one conversion of the real Debian 12
# guest, which every test that needs a converted real guest reuses
# (test-convert-boot.sh boots it, test-convert-export.sh checks its
# metadata, output tests feed it to "ferry copy").  The guest is
# exported as vSphere's datastore directory (vsphere-export.sh vmx:
# descriptor, flat extent and a snapshot delta, NIC 00:50:56:8a:44:01
# on "VM Network", 1 vCPU, 1 GiB) and converted with that network
# mapped to bridge br0 and a static address for the NIC:
#   ferry convert -i vmx db01.vmx -b "VM Network:br0" \
#       --mac 00:50:56:8a:44:01:ip:10.0.2.50,10.0.2.2,24,10.0.2.3 \
#       -o local -of qcow2 --machine-readable
# Kept in the test cache under converted-<hash of ferry and of the
# guest>/: out/ (the output), convert.jsonl, vmx.sum (the export's
# files' sums before the conversion) and tmp/ (its TMPDIR, which must
# be left empty); older builds' copies are removed.  Sets
# $deb12_converted (the qcow2), $deb12_converted_dir and
# $deb12_converted_rep (the change report).  Call it directly, not in
# $(...).
deb12_converted= deb12_converted_dir= deb12_converted_rep=
converted_deb12() {
    need_real_debian12
    local cache key dir
    cache="$(ferry_test_cache)"
    key="$(sha256_of "$FERRY" | cut -c1-16)-$(sha256_of "$deb12_vmdk" | cut -c1-16)"
    dir="$cache/converted-$key"
    (
        flock 9
        if [ ! -f "$dir/done" ]; then
            local old
            for old in "$cache"/converted-*; do
                [ "$old" = "$dir" ] || [ ! -d "$old" ] || rm -rf "$old"
            done
            rm -rf "$dir" && mkdir -p "$dir/out" "$dir/tmp"
            echo "converting the real Debian 12 guest from a VMX export (reused by the other tests of this build)" >&2
            local t0=$SECONDS
            VM_NICS="00:50:56:8a:44:01@VM_Network" VM_CPUS=1 VM_MEMORY_MB=1024 VM_FIRMWARE=bios \
                "$FERRY_IMAGES/vsphere-export.sh" vmx "$dir/db01" db01 "$deb12_vmdk" ||
                exit 1
            (cd "$dir/db01" && sha256sum ./* | sha256sum) > "$dir/vmx.sum"
            TMPDIR="$dir/tmp" "$FERRY" convert -i vmx "$dir/db01/db01.vmx" -b "VM Network:br0" \
                --mac 00:50:56:8a:44:01:ip:10.0.2.50,10.0.2.2,24,10.0.2.3 \
                -o local -os "$dir/out" -of qcow2 --machine-readable > "$dir/convert.jsonl" ||
                { cat "$dir/convert.jsonl" >&2; exit 1; }
            echo "converted in $((SECONDS - t0)) s" > "$dir/time"
            : > "$dir/done"
        fi
    ) 9> "$cache/converted.lock" || fail "could not convert the real Debian 12 guest"
    deb12_converted_dir="$dir"
    deb12_converted="$dir/out/db01-sda"
    deb12_converted_rep="$dir/out/db01.changes.json"
}

# need_real_debian12_lvm: as need_real_debian12, for the second real
# guest (tests/images/real-debian12-lvm.sh: separate /boot, LVM root);
# sets $deb12lvm_vmdk.
deb12lvm_vmdk=
need_real_debian12_lvm() {
    need_real_debian12
    require_cmd guestfish
    deb12lvm_vmdk="$("$FERRY_IMAGES/real-debian12-lvm.sh" "$(ferry_test_cache)")" ||
        fail "could not build the Debian 12 LVM test guest"
}

# boot_expect WHAT DISK FORMAT BUS NICSLOT ROOT-REGEX IPV4-REGEX: boot
# DISK with boot_guest and require the marker to say the system is
# running with no failed units, its root on ROOT-REGEX and an address
# matching IPV4-REGEX ("ens3:10\.0\.2\.[0-9]+").  Prints the marker.
boot_expect() {
    local what="$1" disk="$2" fmt="$3" bus="$4" slot="$5" root="$6" ip="$7" line
    line=$(boot_guest "$disk" "$fmt" "$tmpdir/$what-boot.log" 400 "$bus" "$slot") ||
        fail "$what: the converted guest did not boot: $line"
    echo "$line"
    grep -q 'state=running' <<<"$line" || fail "$what: system state: $line"
    grep -qE "root=$root( |$)" <<<"$line" || fail "$what: root is not $root: $line"
    grep -qE "ipv4=$ip( |,|$)" <<<"$line" || fail "$what: no IPv4 address $ip: $line"
    grep -q 'failed=0' <<<"$line" || fail "$what: failed units: $line"
}

# strict_json FILE [lines]: FILE is valid UTF-8 and valid JSON (with
# "lines", every line is a JSON document: --machine-readable's events),
# read by Python's json module with strict decoding: no invalid byte,
# no lone surrogate, no raw control character in a string.
strict_json() {
    /usr/bin/python3 - "$@" <<'PYEOF' || fail "$1 is not strict UTF-8 JSON"
import json, sys
path = sys.argv[1]
text = open(path, "rb").read().decode("utf-8", errors="strict")
docs = text.splitlines() if sys.argv[2:] == ["lines"] else [text]
for d in docs:
    obj = json.loads(d, strict=True)
    # A lone surrogate escape (\ud800) parses, but is not Unicode text.
    json.dumps(obj, ensure_ascii=False).encode("utf-8", errors="strict")
PYEOF
}
