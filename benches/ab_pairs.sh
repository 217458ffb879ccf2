#!/usr/bin/env bash
# Two applymail binaries, alternating, backfilling the mailbox a `BENCH_ONLY=hold` bench keeps
# up: the A/B that BENCHMARKS.md reports where one change must be told apart from the noise of
# this machine. Each run gets its own database and document store; nothing is deleted (a mass
# deletion slows file creation for minutes, see BENCHMARKS.md, Machine).
#
#   benches/ab_pairs.sh CONFIG ROUNDS BIN_A BIN_B [sqlite|pg] [OUT]
#
# CONFIG is the configuration the hold prints. For pg, each run creates a database on
# 127.0.0.1 (PGPORT, default 5432, may point at benches/latency_proxy.py). Prints one line
# per run: binary, round, wall, peak RSS, CPU, voluntary context switches, minor page faults,
# messages processed, the summed time its groups took to record and the disk syncs within it
# (from the debug log), and how idle the machine's cores were meanwhile.
set -euo pipefail
config=$1 rounds=$2 bin_a=$3 bin_b=$4 db=${5:-sqlite} out=${6:-$(mktemp -d)}
export APPLYMAIL_TEST_IMAP_PASSWORD=${APPLYMAIL_TEST_IMAP_PASSWORD:-s3cret-Imap-Pa55}
tag=$(date +%s)
for round in $(seq "$rounds"); do
  # Alternate which one goes first: the disk and the caches drift within a round.
  if (( round % 2 )); then order="a b"; else order="b a"; fi
  for side in $order; do
    if [ "$side" = a ]; then bin=$bin_a; else bin=$bin_b; fi
    dir=$out/$side-$round
    mkdir -p "$dir"
    if [ "$db" = pg ]; then
      name="ab_${tag}_${side}_${round}"
      psql -q -h 127.0.0.1 -p 5432 -U postgres -c "CREATE DATABASE $name" postgres
      url="postgres://postgres@127.0.0.1:${PGPORT:-5432}/$name"
    else
      url="sqlite://$dir/applymail.db"
    fi
    sed -e "s|^url = .*|url = \"$url\"|" -e "s|^dir = .*|dir = \"$dir/documents\"|" "$config" > "$dir/applymail.toml"
    sync
    # The machine's idle time (both cores) around the run, from /proc/stat.
    read -r _ user1 nice1 sys1 idle1 wait1 _ < /proc/stat
    RUST_LOG=applymail=debug /usr/bin/time -f "%e s, %M KB, user %U s, system %S s, %w voluntary switches, %R minor faults" -o "$dir/time" \
      "$bin" --config "$dir/applymail.toml" run --once > "$dir/log" 2>&1
    read -r _ user2 nice2 sys2 idle2 wait2 _ < /proc/stat
    busy=$(( user2 - user1 + nice2 - nice1 + sys2 - sys1 ))
    idle=$(( idle2 - idle1 + wait2 - wait1 ))
    groups=$(awk '/group recorded/ {
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^sync_ms=/) { sub("sync_ms=", "", $i); sync += $i }
          if ($i ~ /^record_ms=/) { sub("record_ms=", "", $i); rec += $i }
        }
      } END { printf "groups recorded in %d ms (syncs %d ms, during their transactions)", rec, sync }' "$dir/log")
    echo "$side $round: $(cat "$dir/time"), $(grep -c 'message processed' "$dir/log") messages, $groups, cores idle $(( 100 * idle / (busy + idle) )) %"
  done
done
echo "runs kept in $out"
