#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# pod-splice.sh POD SYNOPSIS OPTIONS: print POD with the text between
# its "=for comment generated SYNOPSIS" ("... OPTIONS") and
# "=for comment end of generated" lines replaced by the files SYNOPSIS
# and OPTIONS (ferry --dump-options=synopsis, =pod).
set -e
[ $# -eq 3 ] || { echo "usage: $0 POD SYNOPSIS OPTIONS" >&2; exit 2; }
awk -v syn="$2" -v opts="$3" '
    function emit(f,  line) {
        while ((getline line < f) > 0) print line
        close(f)
    }
    /^=for comment generated (SYNOPSIS|OPTIONS)/ {
        print; print ""
        emit($0 ~ /SYNOPSIS/ ? syn : opts)
        skip = 1; found++; next
    }
    /^=for comment end of generated/ { skip = 0; print; next }
    !skip { print }
    END { if (found != 2) { print "pod-splice.sh: markers missing" > "/dev/stderr"; exit 1 } }
' "$1"
