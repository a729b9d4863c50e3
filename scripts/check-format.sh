#!/bin/sh
# Fails (exit 1, naming each file and line) when a tracked C source or header is not formatted
# as .clang-format says. `make format` formats them. Uses Debian 12's clang-format (14): other
# versions may format some constructs differently.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find adapters api cli engine notifier tests bench -name '*.[ch]')
if [ "${1:-}" = "--fix" ]; then
    # shellcheck disable=SC2086
    clang-format -i $files
    exit 0
fi
# shellcheck disable=SC2086
if ! clang-format --dry-run -Werror $files; then
    echo "format: the files above are not formatted as .clang-format says; run 'make format'" >&2
    exit 1
fi
echo "format: $(echo "$files" | wc -l) files formatted as .clang-format says"
