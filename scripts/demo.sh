#!/usr/bin/env bash
# demo.sh - `make demo`: the whole pipeline on embedded defaults.
#
# Starts a private Apache Kafka (scripts/kafka.sh), Redis and PostgreSQL
# (tests/lib/env.sh), then: a live fleet (bin/producer), the processor
# running processor/wildrydes.sql, a sink writing the per-minute summaries to
# PostgreSQL and Redis, a sink archiving the raw events to var/demo/archive,
# and the dashboard: open the printed URL for the live map. Below, each
# unicorn's current minute as a table. Ctrl-C stops everything.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
UNICORNS=${UNICORNS:-20}
DEMO_PORT=${DEMO_PORT:-8080}
source tests/lib/env.sh
echo "demo: starting Apache Kafka, Redis and PostgreSQL ..." >&2
env_need kafka redis postgres
echo "demo: Kafka at $RF_BROKERS, Redis at $RF_REDIS_URL, PostgreSQL at $RF_PG_URL" >&2
pids=()
on_exit 'kill ${pids[*]} 2>/dev/null; wait ${pids[*]} 2>/dev/null'
trap 'exit 0' INT TERM
ARCHIVE="$ROOT/var/demo/archive"
mkdir -p "$ARCHIVE"
M1=$(_rf_free_port); M2=$(_rf_free_port); M3=$(_rf_free_port)
# Children run in sessions of their own: Ctrl-C reaches this script only, which
# then stops each of them once (a second signal would cut their flush short).
bin/producer -b "$RF_BROKERS" -t wildrydes -p 4 --input /dev/null 2>/dev/null
bin/producer -b "$RF_BROKERS" -t wildrydes-summary -p 4 --input /dev/null 2>/dev/null
bin/producer -b "$RF_BROKERS" -t wildrydes-live -p 4 --input /dev/null 2>/dev/null # the table below follows it
setsid bin/producer -b "$RF_BROKERS" -n "$UNICORNS" -p 4 --progress off 2>"$RF_ENV_DIR/producer.log" &
pids+=($!)
setsid bin/processor -b "$RF_BROKERS" -f processor/wildrydes.sql --idle-timeout 10s --status-interval 30s \
    --metrics "127.0.0.1:$M1" 2>"$RF_ENV_DIR/processor.log" &
pids+=($!)
setsid bin/sink -b "$RF_BROKERS" -t wildrydes-summary --to "$RF_PG_URL" --to "$RF_REDIS_URL" -G demo-summary \
    --status-interval 60s --metrics "127.0.0.1:$M2" 2>"$RF_ENV_DIR/sink-summary.log" &
pids+=($!)
setsid bin/sink -b "$RF_BROKERS" -t wildrydes --to "file://$ARCHIVE" -G demo-archive --batch-seconds 15s \
    --status-interval 60s --metrics "127.0.0.1:$M3" 2>"$RF_ENV_DIR/sink-archive.log" &
pids+=($!)
port=$DEMO_PORT
if ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', $port))" 2>/dev/null; then
    port=$(_rf_free_port)
fi
setsid bin/dashboard -b "$RF_BROKERS" --listen "127.0.0.1:$port" --archive "$ARCHIVE" --redis "$RF_REDIS_URL" \
    --metrics-from "http://127.0.0.1:$M1/metrics" --metrics-from "http://127.0.0.1:$M2/metrics" \
    --metrics-from "http://127.0.0.1:$M3/metrics" 2>"$RF_ENV_DIR/dashboard.log" &
pids+=($!)
wait_for 20 "the dashboard" curl -sf "http://127.0.0.1:$port/"
echo "demo: $UNICORNS unicorns are flying; the processor runs processor/wildrydes.sql; sinks write to" >&2
echo "demo: PostgreSQL (table unicorn_sensor_data), Redis (unicorn:<Name>) and $ARCHIVE." >&2
echo "demo: open the map:  http://127.0.0.1:$port/" >&2
echo "demo: in another shell:  bin/consumer -b $RF_BROKERS -t wildrydes-summary -F table --follow" >&2
echo "demo:                    bin/sql --archive $ARCHIVE     # a prompt (the archive fills every 15 s)" >&2
echo "demo:                    psql $RF_PG_URL -c 'TABLE unicorn_sensor_data'" >&2
echo "demo: logs in $RF_ENV_DIR. Below: each unicorn's current minute, updated every second. Ctrl-C to stop." >&2
setsid bin/consumer -b "$RF_BROKERS" -t wildrydes-live --from end --follow -F table --progress off 2>/dev/null &
pids+=($!)
wait
