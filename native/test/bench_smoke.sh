#!/bin/sh
# Every benchmark, with small parameters, under glibc and under pgalloc:
# valid JSON, identical checksums (same work), the right malloc provider,
# and usage errors exit 2.
set -u
B=$(cd "${1:-build}" && pwd)
LIB="$B/libpgalloc.so"
fail=0 passed=0

check_json() { # FILE WANT_PROVIDER_SUBSTRING -> prints checksum
    python3 - "$1" "$2" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
lines = [l for l in text.splitlines() if l.strip()]
assert len(lines) == 1, "want exactly one line of output, got %d" % len(lines)
d = json.loads(lines[0])
for k in ("bench", "params", "ops", "seconds", "ops_per_sec", "checksum", "malloc_provider",
          "maxrss_kb", "minflt", "majflt", "nvcsw", "nivcsw", "utime_s", "stime_s"):
    assert k in d, "missing field " + k
assert d["ops"] > 0 and d["seconds"] > 0, "no work measured"
assert sys.argv[2] in d["malloc_provider"], "malloc served by %s" % d["malloc_provider"]
print(d["checksum"])
PY
}

smoke() { # NAME ARGS...
    name=$1; shift
    out=$(mktemp)
    "$B/$name" "$@" >"$out" && a=$(check_json "$out" libc.so) &&
        LD_PRELOAD="$LIB" "$B/$name" "$@" >"$out" && b=$(check_json "$out" libpgalloc.so)
    if [ $? -ne 0 ]; then echo "FAIL $name $*"; fail=$((fail + 1))
    elif [ "$a" != "$b" ]; then echo "FAIL $name: checksum $a under glibc, $b under pgalloc"; fail=$((fail + 1))
    else echo "ok   $name $* (checksum $a)"; passed=$((passed + 1)); fi
    rm -f "$out"
}

smoke random_mixed 200000 400 1
smoke random_mixed 100000 400 1 2048 32768
smoke larson 2 8 1000 500 4 1 20000
smoke xthread 1 1 200 500
smoke burst 20000 3
smoke large 200 4
smoke cache_scratch 2 50 8 100
smoke xmalloc 3 50 100
smoke mstress 3 3 2000
smoke fragment 4 5000 50
smoke pair 32 10000

for bad in "random_mixed x" "random_mixed 10 0" "random_mixed 10 10 1 5" "larson 1 2 3 4 5 6 7 8" "burst -1" "large 1 1 10 5" \
    "cache_scratch 0" "xmalloc 2 1 1 9 3" "mstress 1 1 1 1 1" "fragment 65" "pair 0"; do
    # shellcheck disable=SC2086
    "$B"/$bad >/dev/null 2>&1
    rc=$?
    if [ "$rc" -eq 2 ]; then passed=$((passed + 1)); else echo "FAIL '$bad' exited $rc, want 2"; fail=$((fail + 1)); fi
done

echo "bench_smoke: $passed passed, $fail failed"
[ "$fail" -eq 0 ]
