#!/usr/bin/env bash
# Tier: every libFuzzer target for a bounded time (FUZZ_SECONDS, default 60)
# from its seed corpus (tests/fuzz/corpus/NAME/).  A crash, leak or
# sanitizer report fails the target; the reproducer is kept in build/fuzz/.
set -u
B=${B:-build}
secs=${FUZZ_SECONDS:-60}
top=${AB_TOP:-.}
shopt -s nullglob
n=0
for t in "$B"/fuzz/fuzz-*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	n=$((n + 1))
	seeds=$top/tests/fuzz/corpus/${name#fuzz-}
	work=$(mktemp -d)
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
	log=$B/fuzz/$name.log
	if "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$B/fuzz/$name-" "$work" >"$log" 2>&1; then
		runs=$(grep -oE '#[0-9]+' "$log" | tail -1)
		echo "ok $n - $name: ${secs}s, ${runs#\#} runs, no crash"
	else
		echo "not ok $n - $name: crashed (see $log)"
		tail -30 "$log" | sed 's/^/# /'
	fi
	rm -rf "$work"
done
[ $n -gt 0 ] || echo "ok 1 - fuzz # SKIP no fuzz targets built"
