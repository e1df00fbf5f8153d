#!/usr/bin/env bash
# run.sh - `make bench`: rydeflow's speed beside its peers, measured in the same
# run against the same Kafka broker (started here), printed as ratios.
#
#   bench/run.sh [--events N]     (default 1000000)
#
# Figures (each one run, wall clock from start to exit, flush included):
#   producer --input FILE   vs  kcat -P -l FILE (same file, same partitions)
#   producer simulator      delivered events/s, idempotence on
#   consumer > /dev/null    vs  bench/rawcount (raw librdkafka, counts only)
#                           and kcat -C -e > /dev/null
# Targets are printed beside the figures; they never fail the run.
# Results also go to var/bench/results.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
EVENTS=1000000
while [ $# -gt 0 ]; do
    case "$1" in
        --events) EVENTS="$2"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench: unknown argument $1" >&2; exit 2 ;;
    esac
done
source tests/lib/env.sh
OUT=var/bench; mkdir -p "$OUT"
env_need kafka
B=$RF_BROKERS
PARTS=4
RUN=$$

now() { date +%s.%N; }
# elapsed START: seconds since START
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$(now)"; }
rate() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.0f}')" "$1" "$2"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
fmt() { python3 -c "import sys; print(f'{int(float(sys.argv[1])):,}')" "$1"; }
create() { bin/producer -b "$B" -t "$1" -p "$PARTS" --input /dev/null 2>/dev/null; }
RESULTS=()
row() { RESULTS+=("$(printf '%-34s %18s   %-34s %7s   %s' "$1" "$2" "$3" "$4" "$5")"); }

echo "bench: generating $EVENTS workshop events ..." >&2
FILE="$OUT/events.ndjson"
bin/producer --print -n 1000 -c "$EVENTS" --start-time "2026-11-22 00:00:00" --seed 1 2>/dev/null >"$FILE"
MB=$(python3 -c "import os; print(os.path.getsize('$FILE') / 1e6)")

# 1. producer --input vs kcat -P, same file, same partition count.
T1=bench-in-$RUN; T2=bench-kcat-$RUN
create "$T1"; create "$T2"
echo "bench: producer --input ..." >&2
t=$(now); bin/producer -b "$B" -t "$T1" --input "$FILE" 2>/dev/null; s1=$(elapsed "$t")
echo "bench: kcat -P ..." >&2
t=$(now); kcat -b "$B" -t "$T2" -P -l "$FILE"; s2=$(elapsed "$t")
r1=$(rate "$EVENTS" "$s1"); r2=$(rate "$EVENTS" "$s2")
row "producer --input (ev/s)" "$(fmt "$r1")" "kcat -P: $(fmt "$r2")" "$(ratio "$r1" "$r2")x" ">= 1.0x"
row "producer --input (MB/s)" "$(python3 -c "print(f'{$MB / $s1:.1f}')")" "kcat -P: $(python3 -c "print(f'{$MB / $s2:.1f}')")" "" ""

# 2. simulator, idempotent producer, delivered events/s.
T3=bench-sim-$RUN; create "$T3"
echo "bench: producer simulator ..." >&2
t=$(now); bin/producer -b "$B" -t "$T3" -n 1000 -c "$EVENTS" --start-time "2026-11-22 00:00:00" 2>/dev/null; s3=$(elapsed "$t")
r3=$(rate "$EVENTS" "$s3")
row "simulator, delivered (ev/s)" "$(fmt "$r3")" "target 500,000" "$(ratio "$r3" 500000)x" ">= 1.0x of target"

# 3. consumer vs the raw librdkafka counter and kcat -C, reading topic T1.
echo "bench: consumers ..." >&2
t=$(now); n=$(bin/consumer -b "$B" -t "$T1" 2>/dev/null | wc -l); s4=$(elapsed "$t")
read -r rn _ rs <<<"$(bin/bench/rawcount "$B" "$T1")"
t=$(now); kcat -b "$B" -t "$T1" -C -e -q -o beginning >/dev/null; s5=$(elapsed "$t")
[ "$n" = "$EVENTS" ] && [ "$rn" = "$EVENTS" ] || echo "bench: WARNING: consumer read $n, rawcount $rn of $EVENTS" >&2
r4=$(rate "$EVENTS" "$s4"); r5=$(rate "$EVENTS" "$rs"); r6=$(rate "$EVENTS" "$s5")
row "consumer json > /dev/null (ev/s)" "$(fmt "$r4")" "raw librdkafka: $(fmt "$r5")" "$(ratio "$r4" "$r5")x" ">= 0.5x"
row "" "" "kcat -C: $(fmt "$r6")" "$(ratio "$r4" "$r6")x" ""

{
    echo
    echo "rydeflow bench: $(fmt "$EVENTS") workshop events ($(printf '%.0f' "$MB") MB NDJSON), Kafka 3.9 single node, $PARTS partitions, $(nproc) cores"
    printf '%-34s %18s   %-34s %7s   %s\n' "figure" "rydeflow" "peer (same run)" "ratio" "target"
    printf '%s\n' "${RESULTS[@]}"
} | tee "$OUT/results.txt"
