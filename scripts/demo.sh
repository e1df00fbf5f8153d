#!/usr/bin/env bash
# demo.sh - `make demo`: run what rydeflow has today on embedded defaults.
#
# Starts a private Apache Kafka (scripts/kafka.sh), a live fleet of unicorns
# (bin/producer), and follows the stream in a table (bin/consumer). Ctrl-C
# stops everything and removes the temporary broker.
# The processor, sinks, archive queries and the live map join the demo as
# they land (see the open issues); until then this is the Kinesis half.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
UNICORNS=${UNICORNS:-20}
source tests/lib/env.sh
echo "demo: starting Apache Kafka ..." >&2
env_need kafka
echo "demo: Kafka at $RF_BROKERS" >&2
bin/producer -b "$RF_BROKERS" -n "$UNICORNS" -p 4 --progress off 2>"$RF_ENV_DIR/producer.log" &
echo "demo: $UNICORNS unicorns are flying (one report each per second); following topic wildrydes." >&2
echo "demo: try in another shell:  bin/consumer -b $RF_BROKERS -F table -c 20" >&2
echo "demo: Ctrl-C to stop." >&2
sleep 1
bin/consumer -b "$RF_BROKERS" --from end --follow -F table --progress off 2>/dev/null || true
