#!/usr/bin/env bash
# demo.sh - `make demo`: run what rydeflow has today on embedded defaults.
#
# Starts a private Apache Kafka (scripts/kafka.sh), a live fleet of unicorns
# (bin/producer), the processor running processor/wildrydes.sql (per-minute
# summaries, low health, rides, the live minute), and follows the per-minute
# summaries as a table (bin/consumer). Ctrl-C stops everything and removes
# the temporary broker. The sinks and the live map join the demo as they land.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
UNICORNS=${UNICORNS:-20}
source tests/lib/env.sh
echo "demo: starting Apache Kafka ..." >&2
env_need kafka
echo "demo: Kafka at $RF_BROKERS" >&2
pids=()
on_exit 'kill ${pids[*]} 2>/dev/null; wait ${pids[*]} 2>/dev/null'
trap 'exit 0' INT TERM
# Children run in sessions of their own: Ctrl-C reaches this script only, which
# then stops each of them once (a second signal would cut their flush short).
setsid bin/producer -b "$RF_BROKERS" -n "$UNICORNS" -p 4 --progress off 2>"$RF_ENV_DIR/producer.log" &
pids+=($!)
echo "demo: $UNICORNS unicorns are flying (one report each per second) into topic wildrydes." >&2
setsid bin/processor -b "$RF_BROKERS" -f processor/wildrydes.sql --idle-timeout 10s --status-interval 30s \
    --metrics 127.0.0.1:0 2>"$RF_ENV_DIR/processor.log" &
pids+=($!)
echo "demo: the processor runs processor/wildrydes.sql (log: $RF_ENV_DIR/processor.log)." >&2
echo "demo: in another shell:  bin/consumer -b $RF_BROKERS -F table -c 20                     # raw events" >&2
echo "demo:                    bin/consumer -b $RF_BROKERS --where \"HealthPoints < 100\" --follow" >&2
echo "demo:                    bin/consumer -b $RF_BROKERS -t wildrydes-summary -F table --follow  # each minute, once closed" >&2
echo "demo: below: each unicorn's current minute, updated every second by the processor. Ctrl-C to stop." >&2
sleep 1
setsid bin/consumer -b "$RF_BROKERS" -t wildrydes-live --from end --follow -F table --progress off 2>/dev/null &
pids+=($!)
wait
