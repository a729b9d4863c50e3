#!/bin/sh
# Fails (exit 1, naming each file and line) when production C code calls malloc, calloc,
# realloc, strdup or strndup directly instead of bs_malloc & co. (engine/core/alloc.h).
# Usage: scripts/check-alloc.sh [DIR|FILE ...]; default: every production directory
# (adapters api cli engine notifier). tests/, bench/ and engine/core/alloc.[ch] (the one
# place that calls the C library) are never checked; nor are lines that start a comment
# ("/*", " *" or "//").
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ "$#" -eq 0 ]; then set -- adapters api cli engine notifier; fi
files=$(find "$@" -name '*.[ch]' -not -path '*/tests/*' -not -path 'tests/*' -not -path '*/bench/*' \
    -not -path 'bench/*' -not -path '*engine/core/alloc.[ch]' | sort)
if [ -z "$files" ]; then
    echo "alloc: no C files under $*" >&2
    exit 2
fi
# a call: the name not preceded by an identifier character, '.' or '>' (bs_malloc(, x.malloc(, p->malloc()
# shellcheck disable=SC2086
hits=$(grep -nE '(^|[^A-Za-z0-9_.>])(malloc|calloc|realloc|strdup|strndup)[[:space:]]*\(' $files |
    grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*|//)' || true)
if [ -n "$hits" ]; then
    echo "$hits"
    echo "alloc: $(echo "$hits" | wc -l) raw allocation call(s) above; use bs_malloc & co. (engine/core/alloc.h)" >&2
    exit 1
fi
echo "alloc: $(echo "$files" | wc -l) files use bs_malloc & co. only"
