#!/usr/bin/env bash
# The CLI's start-up in instructions (issue 23, item 3): what cli-startup.sh times, counted by
# callgrind instead, so that two builds compare to the instruction whatever the VM's speed is
# doing. For each command and binary: all instructions of the process, those of the dynamic
# loader (relocations, symbol look-ups), and those of protocol conformance scans (the runtime
# reading every conformance record of the binary, once per type and protocol it was asked
# about); page faults from `perf stat` when perf is there.
#
# Usage: bash Benchmarks/cli-instructions.sh BIN [BIN...]
# Needs valgrind (apt-get install -y valgrind). Only 127.0.0.1 is used; the server started
# here (from the first binary) is stopped at the end.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bash Benchmarks/cli-instructions.sh BIN [BIN...]" >&2; exit 2; }
ORIGINALS=()
for b in "$@"; do ORIGINALS+=("$(realpath "$b")"); done
set -- "${ORIGINALS[@]}"
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "cli-instructions: needs valgrind (apt-get install -y valgrind)" >&2; exit 2; }
command -v callgrind_annotate >/dev/null || { echo "cli-instructions: needs callgrind_annotate (valgrind)" >&2; exit 2; }

# shellcheck source=Benchmarks/cli-commands.sh
source Benchmarks/cli-commands.sh
cli_server "$1"
cli_commands

# valgrind cannot read the DWARF of these binaries; a copy without it keeps the symbols.
BINS=()
for b in "$@"; do
    copy="$WORK/$(basename "$b")-${#BINS[@]}"
    strip --strip-debug -o "$copy" "$b"
    BINS+=("$copy")
done

# inclusive PROFILE PATTERN: the inclusive instructions of the first function matching, in
# millions; "0" when the profile has the loader's or runtime's symbols but no such call, "-"
# when it has no symbols to tell (a loader without them, a runtime that names it otherwise).
inclusive() {
    local table
    table=$(callgrind_annotate --inclusive=yes "$1" 2>/dev/null || true)
    if ! grep -qE "$3" <<<"$table"; then echo "-"; return; fi
    { grep -E "$2" <<<"$table" || true; } | head -1 | awk '{gsub(",", "", $1); v = $1 + 0} END {printf "%.2f", v / 1e6}'
}

echo "== server $URL ($1); instructions in millions (callgrind), page faults (perf stat)"
printf "%-14s %-4s %10s %10s %10s %8s\n" command bin all loader scans faults
for i in "${!NAMES[@]}"; do
    for k in "${!BINS[@]}"; do
        bin=${BINS[$k]}
        original=${@:$((k + 1)):1}
        profile="$WORK/cg.$i.$k"
        # shellcheck disable=SC2086
        valgrind --tool=callgrind --callgrind-out-file="$profile" "$bin" ${ARGS[$i]} >/dev/null 2>"$WORK/valgrind.err" || true
        all=$({ grep -E "Collected" "$WORK/valgrind.err" || true; } | awk '{printf "%.2f", $4 / 1e6}')
        loader=$(inclusive "$profile" 'rtld.c:_dl_start ' 'rtld.c:')
        scans=$(inclusive "$profile" ':swift_conformsToProtocolWithExecutionContext ' ':swift_')
        faults="-"
        if command -v perf >/dev/null; then
            # shellcheck disable=SC2086
            faults=$(perf stat -e page-faults -r 5 "$original" ${ARGS[$i]} 2>&1 >/dev/null | awk '/page-faults/{print $1}') || faults="-"
        fi
        printf "%-14s %-4s %10s %10s %10s %8s\n" "${NAMES[$i]}" "$((k + 1))" "${all:--}" "$loader" "$scans" "${faults:--}"
    done
done
echo "bin: $(for k in "${!BINS[@]}"; do printf '%s=%s ' "$((k + 1))" "${@:$((k + 1)):1}"; done)"
