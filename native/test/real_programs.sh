#!/bin/sh
# Real programs under LD_PRELOAD=libpgalloc.so: each must exit 0 with the same
# output as without the preload, and PGALLOC_STATS must prove our allocator
# mapped memory (i.e. served the allocations) in that process.
set -u
B=$(cd "${1:-build}" && pwd)
LIB="$B/libpgalloc.so"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0 passed=0

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "real_programs: '$1' is missing; install the Debian package '$2'" >&2; exit 1; }
}
need python3 python3
need git git
need gcc gcc
need sort coreutils

# run NAME CMD...: compare output with and without the preload
run() {
    name=$1; shift
    "$@" >"$TMP/$name.ref" 2>"$TMP/$name.referr"; ref=$?
    LD_PRELOAD="$LIB" PGALLOC_STATS=1 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"; rc=$?
    if [ "$ref" -ne 0 ] || [ "$rc" -ne 0 ]; then
        echo "FAIL $name: exit $ref without preload, $rc with it"; tail -5 "$TMP/$name.err"; fail=$((fail + 1)); return
    fi
    if ! cmp -s "$TMP/$name.ref" "$TMP/$name.out"; then
        echo "FAIL $name: output differs under pgalloc"; fail=$((fail + 1)); return
    fi
    if ! grep -Eq '"pgalloc":\{"pid":[0-9]+,"mmap":[1-9]' "$TMP/$name.err"; then
        echo "FAIL $name: no pgalloc statistics: the allocator did not serve this process"; fail=$((fail + 1)); return
    fi
    echo "ok   $name ($(grep -c '"pgalloc"' "$TMP/$name.err") process(es) served by pgalloc)"
    passed=$((passed + 1))
}

cat >"$TMP/alloc_heavy.py" <<'PY'
import collections, json
d = {}
for i in range(200000):
    d[("k%d" % i) * (1 + i % 5)] = [i] * (i % 17)
c = collections.Counter(len(v) for v in d.values())
blob = json.dumps({k: v for k, v in list(d.items())[:5000]})
print(len(d), sorted(c.items())[:5], len(json.loads(blob)))
PY
run python3 python3 "$TMP/alloc_heavy.py"

git -C "$TMP" init -q repo
for i in 1 2 3 4 5; do
    seq 1 $((i * 2000)) >"$TMP/repo/f$i.txt"
    git -C "$TMP/repo" add "f$i.txt"
    git -C "$TMP/repo" -c user.name=t -c user.email=t@t -c commit.gpgsign=false commit -q -m "c$i" --date="2020-01-0${i}T00:00:00Z"
done
run git env GIT_COMMITTER_DATE=2020-01-01T00:00:00Z git -C "$TMP/repo" log --stat --format=%s

cat >"$TMP/prog.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
struct node { struct node *next; int v; };
int main(void) {
    struct node *h = NULL;
    for (int i = 0; i < 1000; i++) { struct node *n = malloc(sizeof *n); n->v = i; n->next = h; h = n; }
    long s = 0; for (; h; h = h->next) s += h->v;
    printf("%ld\n", s);
    return 0;
}
C
run gcc gcc -O2 -c "$TMP/prog.c" -o /dev/stdout

awk 'BEGIN { srand(7); for (i = 0; i < 300000; i++) printf "%08d %s\n", int(rand() * 1e8), substr("abcdefghij", 1 + i % 10) }' >"$TMP/big.txt"
run sort sort -k2,2 -k1,1n "$TMP/big.txt"

echo "real_programs: $passed passed, $fail failed"
[ "$fail" -eq 0 ]
