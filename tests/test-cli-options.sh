#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# CLI: help, version, module option listing, option errors, exact
# option names (no prefixes, no glued values), virt-v2v's options, the
# password files, the bash completion, and that --help, the man page
# and the completion come from the same option table.
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
mk_tmpdir

"$FERRY" --help | grep -q '^  ferry convert -i INPUT' || fail "--help has no usage line"
"$FERRY" --version | grep -qE '^ferry [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"

# -oo ? and -io ? list the keys and exit 0.
out="$("$FERRY" convert -o local -oo '?')"
grep -q 'memory=SIZE' <<<"$out" || fail "-oo ? does not list memory: $out"
grep -q 'vcpus=N' <<<"$out" || fail "-oo ? does not list vcpus: $out"
out="$("$FERRY" convert -i disk -io '?')"
grep -q 'allow-external-extents' <<<"$out" || fail "-io ? does not list allow-external-extents"

# Errors: exit 1 and one line naming the problem.
expect_error() {
    local pattern="$1"; shift
    local err rc=0
    err="$("$@" -q 2>&1 >/dev/null)" || rc=$?
    [ "$rc" -eq 1 ] || fail "expected exit 1 from '$*', got $rc ($err)"
    grep -qE -- "$pattern" <<<"$err" || fail "'$*': message '$err' does not match '$pattern'"
    [ "$(wc -l <<<"$err")" -eq 1 ] || fail "'$*': more than one line: $err"
}
img="$tmpdir/x.img"
"$FERRY_IMAGES/phony-debian.sh" noos "$img"
expect_error 'unknown option "colour" for -o local' \
    "$FERRY" convert -i disk "$img" -o local -os "$tmpdir" -oo colour=blue
expect_error 'option "memory" of -o local needs a value' \
    "$FERRY" convert -i disk "$img" -o local -os "$tmpdir" -oo memory
expect_error '-oo memory="lots": not a size' \
    "$FERRY" convert -i disk "$img" -o local -os "$tmpdir" -oo memory=lots
expect_error 'unknown option "bogus" for -i disk' \
    "$FERRY" convert -i disk "$img" -io bogus -o local -os "$tmpdir"
expect_error '-i "floppy": unknown input' \
    "$FERRY" convert -i floppy "$img" -o local -os "$tmpdir"
expect_error '-o "tape": unknown output' \
    "$FERRY" convert -i disk "$img" -o tape -os "$tmpdir"
expect_error '--target "mainframe": unknown target' \
    "$FERRY" convert -i disk "$img" -o local -os "$tmpdir" --target mainframe
expect_error 'output format "vdi" is not supported' \
    "$FERRY" convert -i disk "$img" -o local -os "$tmpdir" -of vdi
expect_error '-if "floppy": unknown format' \
    "$FERRY" convert -i disk -if floppy "$img" -o local -os "$tmpdir"

# Usage errors: exit 2 and one line naming the command ("ferry convert:").
expect_usage() {
    local cmd="$1" pattern="$2"; shift 2
    local err rc=0
    err="$("$FERRY" "$cmd" "$@" 2>&1 >/dev/null)" || rc=$?
    [ "$rc" -eq 2 ] || fail "expected exit 2 from 'ferry $cmd $*', got $rc ($err)"
    [ "$(wc -l <<<"$err")" -eq 1 ] || fail "'ferry $cmd $*': more than one line: $err"
    [[ "$err" == "ferry $cmd: "* ]] ||
        fail "'ferry $cmd $*': '$err' does not start with 'ferry $cmd: '"
    grep -qF -- "$pattern" <<<"$err" ||
        fail "'ferry $cmd $*': message '$err' does not contain '$pattern'"
}
# The parser accepts the arguments: "--help" after them is reached.
expect_parsed() {
    local out rc=0
    out="$("$FERRY" "$@" --help 2>&1)" || rc=$?
    [ "$rc" -eq 0 ] || fail "'ferry $*' was refused (exit $rc): $out"
}

rc=0; err="$("$FERRY" frobnicate 2>&1)" || rc=$?
[ "$rc" -eq 2 ] && [ "$err" = 'ferry: unknown command "frobnicate" (use convert, copy or inspect; see ferry --help)' ] ||
    fail "unknown command: exit $rc, '$err'"
rc=0; err="$("$FERRY" 2>&1)" || rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] || fail "no command: exit $rc, '$err'"

# No prefix matching, single-dash or double-dash, and no clusters of
# short options or values glued to them.
for bad in --dry --dry-ru --source --print --mach --work --tar --targe \
           --verb --ver --hel --qui --inject --os-c --netw --brid \
           -d -s -t -m -w -dry-run -target -quiet -help -version -verbose \
           -qv -vv -idisk -iova -ofraw -ip2 -x1; do
    expect_usage convert "unknown option \"$bad\" (see ferry --help)" "$bad" kvm
done
expect_usage inspect 'unknown option "--source" (see ferry --help)' --source
expect_usage copy 'unknown option "--dry" (see ferry --help)' --dry

# The misreadings of issue 13: -ip FILE is not "-i p" plus a disk, and
# it is refused where the input takes no password (the file is not read).
expect_usage convert '-ip: -i disk takes no password' -ip "$img" "$img" -o local -os "$tmpdir"
expect_usage convert '-ip: -i ova takes no password' -i ova -ip /nonexistent "$img" -o local -os "$tmpdir"
expect_usage convert '-op: -o local takes no password' -i disk "$img" -o local -os "$tmpdir" -op /nonexistent
expect_usage convert 'option "-it" is not supported by ferry' -it ssh "$img"
expect_usage convert 'option "-oc" is not supported by ferry (use -o local -os DIR, then virsh define DIR/NAME.xml)' -oc qemu:///system
expect_usage convert 'option "--in-place" is not supported by ferry' --in-place
expect_usage convert 'option "--key" is not supported by ferry' --key all:key:x
expect_usage convert 'option "--compressed" is not supported by ferry' -i disk "$img" --compressed
expect_usage convert 'option "--no-trim" is not supported by ferry (ferry always trims' --no-trim all

# Missing values, values to flags, options of another command, bad values.
expect_usage convert 'option "-ip" needs a value: -ip FILE' -ip
expect_usage convert 'option "--target" needs a value: --target TARGET' -i disk --target
expect_usage convert 'option "--dry-run" takes no value' --dry-run=yes
expect_usage convert 'option "--machine-readable" takes no value' --machine-readable=json
expect_usage convert 'option "--source-only" is not for convert (only for inspect)' --source-only
expect_usage inspect 'option "-o" is not for inspect (only for convert and copy)' -o local
expect_usage copy 'option "--inject-package" is not for copy (only for convert)' --inject-package "$tmpdir"
expect_usage convert '--workers "9": use a number from 1 to 8' --workers 9
expect_usage convert '--workers "+2": use a number from 1 to 8' --workers=+2
expect_usage convert '--initramfs "fast": use auto, append or rebuild' --initramfs fast
expect_usage copy 'option "--initramfs" is not for copy (only for convert)' --initramfs append
expect_usage convert '-n "net:": use -n [IN:]OUT' --network net:
expect_usage convert '-b ":br0": use -b [IN:]OUT' --bridge :br0
expect_usage convert 'say where to write: -o local -os DIR' -i disk "$img"
# "--" ends the options: the -o after it is a file name.
expect_usage convert 'say where to write: -o local -os DIR' -i disk -- "$img" -o local

# Exact names and values after "=" are accepted.
expect_parsed convert --network default -n in:out --bridge br0 -b x:br1 -x -q
expect_parsed convert --workers=3 -i=disk -of=raw --target=kvm --root first --initramfs=append
expect_parsed convert --initramfs rebuild --initramfs auto
expect_parsed convert --ic test:///default --if raw --io max-size=1G --os "$tmpdir" --of qcow2 --oa sparse --on x --oo memory=1G
expect_parsed inspect --print-source -x --source-only --root single
expect_parsed convert --password-file /nonexistent --ip /nonexistent --op /nonexistent

# Every option of virt-v2v 2.2 is either accepted by ferry's parser or
# refused with one line saying it is not supported: never unknown,
# never misread.  The list is virt-v2v's own when it is installed.
v2v_opts="--bridge --bandwidth --bandwidth-file --color --colors --colour
--colours --compressed --debug-gc --echo-keys --help --ic --if --in-place --io
--ip --it --key --keys-from-stdin --mac --machine-readable --network --no-trim
--oa --oc --of --on --oo --op --os --password-file --print-source --quiet
--qemu-boot --root --version --verbose --vddk-config --vddk-cookie
--vddk-libdir --vddk-nfchostport --vddk-port --vddk-snapshot --vddk-thumbprint
--vddk-transports --vdsm-compat --vdsm-image-uuid --vdsm-ovf-flavour
--vdsm-ovf-output --vdsm-vm-uuid --vdsm-vol-uuid --vmtype --wrap
-b -i -ic -if -io -ip -it -n -o -oa -oc -of -on -oo -op -os -q -V -v -x"
if command -v virt-v2v >/dev/null 2>&1; then
    v2v_opts="$(virt-v2v --long-options) $(virt-v2v --short-options)"
fi
nr_refused=0 nr_accepted=0
for opt in $v2v_opts; do
    rc=0
    # "1" is the value, or an operand for a flag; --help ends a parse
    # that accepted both.
    out="$("$FERRY" convert "$opt" 1 --help 2>&1 >/dev/null)" || rc=$?
    case "$rc" in
        0) nr_accepted=$((nr_accepted + 1)) ;;
        2) [ "$(wc -l <<<"$out")" -eq 1 ] || fail "virt-v2v's $opt: more than one line: $out"
           case "$out" in
               "ferry convert: option \"$opt\" is not supported by ferry"*) ;;
               "ferry convert: --workers"*|"ferry convert: -n "*|"ferry convert: -b "*) ;;
               *) fail "virt-v2v's $opt: refused without saying it is unsupported: $out" ;;
           esac
           nr_refused=$((nr_refused + 1)) ;;
        *) fail "virt-v2v's $opt: exit $rc: $out" ;;
    esac
done
[ "$nr_accepted" -ge 25 ] && [ "$nr_refused" -ge 30 ] ||
    fail "virt-v2v's options: $nr_accepted accepted, $nr_refused refused"

# -ip and -op read the file where the input or output takes a password,
# and never print it.
pw="$tmpdir/pw"
printf 's3cret-PW-%s\n' "$$" > "$pw"
rc=0; err="$("$FERRY" inspect -q -i libvirt -ip /nonexistent nosuchdomain 2>&1)" || rc=$?
[ "$rc" -eq 1 ] && grep -qF -- '-ip: read the password file "/nonexistent": No such file or directory' <<<"$err" ||
    fail "-ip of a missing file: exit $rc, '$err'"
rc=0; err="$("$FERRY" inspect -v -i libvirt -ic test:///default -ip "$pw" nosuchdomain 2>&1)" || rc=$?
[ "$rc" -eq 1 ] && grep -qF 'look up domain "nosuchdomain"' <<<"$err" ||
    fail "-i libvirt -ip: exit $rc, '$err'"
grep -q "s3cret-PW" <<<"$err" && fail "-ip: the password was printed: $err"
# libvirt's test driver asks for a password when its XML has <auth>;
# the user name comes from libvirt's own auth file.
cat > "$tmpdir/node.xml" <<XMLEOF
<node>
  <auth><user password="s3cret-PW-$$">alice</user></auth>
  <domain type="test"><name>dom1</name><memory>1048576</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>
</node>
XMLEOF
printf '[credentials-t]\nusername=alice\n\n[auth-test-localhost]\ncredentials=t\n' > "$tmpdir/auth.conf"
printf 'wrong\n' > "$tmpdir/wrongpw"
lv() { LIBVIRT_AUTH_FILE="$tmpdir/auth.conf" "$FERRY" inspect -v --source-only -i libvirt -ic "test://$tmpdir/node.xml" "$@" dom1 2>&1; }
err="$(lv -ip "$pw")" && fail "-ip: the test driver's running domain was accepted"
# Connected: the test driver's domains run, so ferry refuses it.
grep -qF 'domain "dom1" is running' <<<"$err" || fail "-ip with the right password: $err"
grep -q "s3cret-PW" <<<"$err" && fail "-ip: the password was printed: $err"
err="$(lv -ip "$tmpdir/wrongpw")" && fail "-ip with a wrong password was accepted"
grep -qF 'connect to libvirt' <<<"$err" && grep -qi 'authentication failed' <<<"$err" ||
    fail "-ip with a wrong password: $err"
err="$(lv)" && fail "no -ip was accepted"
grep -qF 'connect to libvirt' <<<"$err" || fail "no -ip: $err"
rc=0; err="$("$FERRY" copy -q -i disk "$img" -o openstack -op /nonexistent 2>&1)" || rc=$?
[ "$rc" -eq 1 ] && grep -qF -- '-op: read the password file "/nonexistent"' <<<"$err" ||
    fail "-op of a missing file: exit $rc, '$err'"
# A one-request Keystone that keeps the body it was sent and says 401:
# the password in it is the file's, not OS_PASSWORD.
PY="${PYTHON:-/usr/bin/python3}"
if [ -x "$PY" ]; then
    "$PY" - "$tmpdir/port" "$tmpdir/body" <<'PYEOF' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        open(sys.argv[2], "wb").write(self.rfile.read(n))
        self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
s.timeout = 30
s.handle_request()
PYEOF
    for _ in $(seq 50); do [ -s "$tmpdir/port" ] && break; sleep 0.1; done
    port="$(cat "$tmpdir/port")"
    rc=0
    err="$(env -u OS_CLOUD OS_AUTH_URL="http://127.0.0.1:$port/v3" OS_USERNAME=u \
           OS_PROJECT_NAME=p OS_PASSWORD=from-env \
           "$FERRY" copy -v -i disk "$img" -o openstack -op "$pw" 2>&1)" || rc=$?
    wait
    [ "$rc" -eq 1 ] || fail "-o openstack -op: exit $rc, '$err'"
    grep -q "s3cret-PW-$$" "$tmpdir/body" || fail "-op: Keystone was not sent the file's password: $(cat "$tmpdir/body")"
    grep -q "from-env" "$tmpdir/body" && fail "-op: Keystone was sent OS_PASSWORD"
    grep -q "s3cret-PW" <<<"$err" && fail "-op: the password was printed: $err"
fi

# --print-source is inspect --source-only, from any command.
a="$("$FERRY" inspect --source-only -i disk "$img")"
b="$("$FERRY" convert --print-source -i disk "$img" -o local -os "$tmpdir")"
[ -n "$a" ] && [ "$a" = "$b" ] || fail "--print-source differs from inspect --source-only: $a / $b"

# The views of the option table.
help="$("$FERRY" --help)"
table_opts="$(grep -oE '^  (-[a-zA-Z]+|--[a-z-]+)(, --[a-z-]+)?' <<<"$help" | tr -d ' ' | tr ',' '\n')"
[ "$(wc -l <<<"$table_opts")" -ge 30 ] || fail "--help lists too few options: $table_opts"
for opt in --network --bridge -x --print-source -ip -op; do
    grep -qxF -- "$opt" <<<"$table_opts" || fail "--help does not list $opt"
done

# The man page's SYNOPSIS and OPTIONS are the table's.
pod="$abs_top_srcdir/docs/ferry.pod"
"$FERRY" --dump-options=synopsis > "$tmpdir/syn"
"$FERRY" --dump-options=pod > "$tmpdir/opt"
sh "$abs_top_srcdir/docs/pod-splice.sh" "$pod" "$tmpdir/syn" "$tmpdir/opt" > "$tmpdir/pod"
diff -u "$pod" "$tmpdir/pod" >&2 ||
    fail "docs/ferry.pod's SYNOPSIS or OPTIONS differ from the option table (run make update-pod)"
for opt in $table_opts; do
    grep -qE -- "^=item (.*, )?B<$opt>" "$pod" || fail "option $opt is in --help but not in docs/ferry.pod"
done
# The splice notices a changed POD (the check can fail).
sed 's/^=item B<-ip> FILE/=item B<-ip> PASSWORDFILE/' "$pod" > "$tmpdir/stale.pod"
sh "$abs_top_srcdir/docs/pod-splice.sh" "$tmpdir/stale.pod" "$tmpdir/syn" "$tmpdir/opt" |
    cmp -s - "$tmpdir/stale.pod" && fail "pod-splice.sh did not replace a stale OPTIONS item"
if command -v podchecker >/dev/null 2>&1; then
    podchecker "$pod" >/dev/null 2>&1 || fail "podchecker refuses docs/ferry.pod"
fi

# The bash completion: valid bash, every option of each command, the
# modules after -i and -o.
comp="$("$FERRY" --dump-options=bash)"
[ -n "$comp" ] || fail "--dump-options=bash is empty"
bash -n <<<"$comp" || fail "the bash completion is not valid bash"
if [ -f "$abs_top_builddir/bash-completion/ferry" ]; then
    [ "$comp" = "$(cat "$abs_top_builddir/bash-completion/ferry")" ] ||
        fail "bash-completion/ferry is stale"
fi
complete_words() {
    bash -c 'source /dev/stdin; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ferry; printf "%s\n" "${COMPREPLY[@]}"' \
        ferry "$@" <<<"$comp"
}
for opt in $table_opts; do
    case "$opt" in --source-only) c=inspect ;; *) c=convert ;; esac
    words="$(complete_words ferry "$c" "$opt")"
    grep -qxF -- "$opt" <<<"$words" ||
        fail "the completion does not offer $opt for $c"
done
[ "$(complete_words ferry convert --net)" = "--network" ] || fail "completion of --net"
grep -qx libvirt <<<"$(complete_words ferry convert -i "")" || fail "completion after -i has no libvirt"
grep -qx openstack <<<"$(complete_words ferry copy -o "")" || fail "completion after -o has no openstack"
grep -qx azure <<<"$(complete_words ferry convert --target "")" || fail "completion after --target has no azure"
[ -z "$(complete_words ferry inspect --dry)" ] || fail "the completion offers --dry-run for inspect"
[ "$(complete_words ferry con)" = "convert" ] || fail "completion of the command"
rc=0; "$FERRY" --dump-options=man >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--dump-options=man: exit $rc"

echo "PASS: cli"
