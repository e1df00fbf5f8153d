#!/usr/bin/env bash
# kafka.sh - run Apache Kafka (KRaft, the 3.9 line) for development and tests.
#
#   scripts/kafka.sh [--nodes N] [--dir DIR] [--partitions P]
#   scripts/kafka.sh node DIR ID kill|stop|start|pause|resume
#   scripts/kafka.sh fetch
#
# Fetches the broker jars from Maven Central on first use (scripts/kafka/pom.xml,
# cached in var/kafka/libs), formats KRaft storage in a temporary directory
# (or DIR), starts N combined broker+controller nodes on free loopback ports,
# waits until every node answers, prints the bootstrap list as the first line
# of standard output, and runs until SIGINT/SIGTERM, when it stops the nodes
# and removes the temporary directory. Logs: DIR/node-<id>/server.log.
#
# `node` acts on one node of a running cluster (DIR/nodes lists "id pid
# host:port"): kill (SIGKILL), stop (SIGTERM, a clean shutdown), start (a
# stopped or killed node, on its own storage and ports; returns once it
# answers), pause (SIGSTOP: alive but silent) and resume (SIGCONT). The
# cluster's own process stops restarted nodes with the rest.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIBS="$ROOT/var/kafka/libs"
NODES=1
DIR=""
PARTITIONS=4

die() { echo "kafka.sh: $*" >&2; exit 1; }

fetch() {
    [ -f "$LIBS/.complete" ] && return 0
    command -v mvn >/dev/null || die "mvn not found (scripts/setup.sh installs it)"
    command -v java >/dev/null || die "java not found (scripts/setup.sh installs it)"
    echo "kafka.sh: fetching the Kafka broker from Maven Central into var/kafka/libs ..." >&2
    rm -rf "$LIBS"
    mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
        -DoutputDirectory="$LIBS" -DincludeScope=runtime >&2 || die "maven could not fetch the broker jars"
    touch "$LIBS/.complete"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

CP="$LIBS/*"
JAVA_OPTS=(-Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
           -Dlog4j.configuration="file:$ROOT/scripts/kafka/log4j.properties")

# launch DIR ID: start node ID from DIR/node-ID/server.properties, in the
# background; prints its pid.
launch() {
    local nd="$1/node-$2"
    java "${JAVA_OPTS[@]}" -Dkafka.node.log="$nd/server.log" -cp "$CP" kafka.Kafka "$nd/server.properties" \
        >>"$nd/stdout.log" 2>&1 </dev/null &
    echo $!
}

# answers HOST:PORT: the node at HOST:PORT is in the cluster's metadata as
# served by that node itself.
answers() { timeout 5 kcat -b "$1" -L -m 3 2>/dev/null | grep -q " at $1\b"; }

node_pid() { awk -v id="$2" '$1 == id {print $2}' "$1/nodes"; }
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]; }

node_cmd() {
    local dir=$1 id=$2 action=$3 pid addr deadline
    [ -f "$dir/nodes" ] || die "no cluster in $dir (no $dir/nodes)"
    pid=$(node_pid "$dir" "$id")
    addr=$(awk -v id="$id" '$1 == id {print $3}' "$dir/nodes")
    [ -n "$pid" ] || die "no node $id in $dir/nodes"
    case "$action" in
        kill) kill -9 "$pid" 2>/dev/null || true
              until gone "$pid"; do sleep 0.05; done ;;
        stop) kill -CONT "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true
              deadline=$(( $(date +%s) + 60 ))
              until gone "$pid"; do
                  [ "$(date +%s)" -lt "$deadline" ] || { kill -9 "$pid" 2>/dev/null || true; }
                  sleep 0.1
              done ;;
        pause) kill -STOP "$pid" ;;
        resume) kill -CONT "$pid" ;;
        start)
            gone "$pid" || die "node $id is running (pid $pid)"
            pid=$(launch "$dir" "$id")
            # Others find the new pid at once (the cluster's own clean-up too).
            awk -v id="$id" -v pid="$pid" '$1 == id {$2 = pid} {print}' "$dir/nodes" >"$dir/nodes.new"
            mv "$dir/nodes.new" "$dir/nodes"
            deadline=$(( $(date +%s) + 90 ))
            until answers "$addr"; do
                kill -0 "$pid" 2>/dev/null || die "node $id exited; see $dir/node-$id/server.log"
                [ "$(date +%s)" -lt "$deadline" ] || die "node $id not answering after 90 s"
                sleep 0.2
            done ;;
        *) die "node: unknown action '$action' (kill, stop, start, pause or resume)" ;;
    esac
}

if [ "${1:-}" = fetch ]; then fetch; exit 0; fi
if [ "${1:-}" = node ]; then
    [ $# = 4 ] || { echo "usage: scripts/kafka.sh node DIR ID kill|stop|start|pause|resume" >&2; exit 2; }
    node_cmd "$2" "$3" "$4"
    exit 0
fi
while [ $# -gt 0 ]; do
    case "$1" in
        --nodes) NODES="$2"; shift 2 ;;
        --dir) DIR="$2"; shift 2 ;;
        --partitions) PARTITIONS="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "kafka.sh: unknown argument '$1'" >&2; sed -n '4,5p' "$0" | sed 's/^# //' >&2; exit 2 ;;
    esac
done
[[ "$NODES" =~ ^[1-9]$ ]] || die "--nodes must be 1..9"

fetch
OWN_DIR=0
if [ -z "$DIR" ]; then DIR=$(mktemp -d /tmp/rydeflow-kafka.XXXXXX); OWN_DIR=1; fi
mkdir -p "$DIR"

declare -a BPORT CPORT PIDS
for i in $(seq 1 "$NODES"); do BPORT[$i]=$(free_port); CPORT[$i]=$(free_port); done
VOTERS=""
BOOTSTRAP=""
for i in $(seq 1 "$NODES"); do
    VOTERS+="${VOTERS:+,}$i@127.0.0.1:${CPORT[$i]}"
    BOOTSTRAP+="${BOOTSTRAP:+,}127.0.0.1:${BPORT[$i]}"
done
RF=$(( NODES >= 3 ? 3 : NODES ))
MINISR=$(( NODES >= 3 ? 2 : 1 ))

cleanup() {
    trap - EXIT INT TERM
    local all=("${PIDS[@]:-}") pid deadline
    # Nodes restarted by `kafka.sh node ... start` are not our children:
    # their pids are in the nodes file. A paused node is resumed to stop.
    [ -f "$DIR/nodes" ] && all+=($(awk '{print $2}' "$DIR/nodes"))
    for pid in "${all[@]}"; do [ -n "$pid" ] && { kill -CONT "$pid"; kill "$pid"; } 2>/dev/null || true; done
    deadline=$(( $(date +%s) + 20 ))
    for pid in "${all[@]}"; do
        [ -n "$pid" ] || continue
        while ! gone "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
        gone "$pid" || kill -9 "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
    [ -n "${SLEEPER:-}" ] && kill "$SLEEPER" 2>/dev/null
    if [ "$OWN_DIR" = 1 ] && [ "${KEEP_KAFKA_DIR:-0}" != 1 ]; then rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM

CLUSTER_ID=$(java -cp "$CP" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)

for i in $(seq 1 "$NODES"); do
    nd="$DIR/node-$i"
    mkdir -p "$nd"
    cat > "$nd/server.properties" <<PROPS
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$VOTERS
listeners=PLAINTEXT://127.0.0.1:${BPORT[$i]},CONTROLLER://127.0.0.1:${CPORT[$i]}
advertised.listeners=PLAINTEXT://127.0.0.1:${BPORT[$i]}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$nd/data
num.partitions=$PARTITIONS
default.replication.factor=$RF
min.insync.replicas=$MINISR
offsets.topic.replication.factor=$RF
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=$RF
transaction.state.log.min.isr=$MINISR
group.initial.rebalance.delay.ms=0
# abort the open transaction of a dead client within ~1 s of its timeout (production default 10 s)
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
auto.create.topics.enable=true
log.retention.hours=-1
log.segment.bytes=134217728
PROPS
    java -cp "$CP" -Dlog4j.configuration="file:$ROOT/scripts/kafka/log4j.properties" -Dkafka.node.log="$nd/format.log" \
        kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$nd/server.properties" >"$nd/format.out" 2>&1 \
        || die "formatting storage failed: $(cat "$nd/format.out")"
    PIDS[$i]=$(launch "$DIR" "$i")
done

# Ready when every node answers metadata and the cluster lists all of them.
deadline=$(( $(date +%s) + 90 ))
while :; do
    for i in $(seq 1 "$NODES"); do
        kill -0 "${PIDS[$i]}" 2>/dev/null || die "node $i exited; see $DIR/node-$i/server.log: $(tail -5 "$DIR/node-$i/stdout.log" "$DIR/node-$i/server.log" 2>/dev/null)"
    done
    n=$(timeout 5 kcat -b "$BOOTSTRAP" -L -m 3 2>/dev/null | grep -c ' at 127.0.0.1:' || true)
    [ "$n" -ge "$NODES" ] && break
    [ "$(date +%s)" -lt "$deadline" ] || die "cluster not ready after 90 s; logs in $DIR"
    sleep 0.3
done

echo "$BOOTSTRAP"
echo "kafka.sh: $NODES node(s) ready at $BOOTSTRAP (dir $DIR; pids ${PIDS[*]})" >&2
# Also leave the node pids where failover tests can find them.
for i in $(seq 1 "$NODES"); do echo "$i ${PIDS[$i]} 127.0.0.1:${BPORT[$i]}" ; done > "$DIR/nodes"
# Run until told to stop (not until our own children exit: a node killed
# and restarted by `kafka.sh node` is no longer one of them).
while :; do sleep 3600 & SLEEPER=$!; wait "$SLEEPER" || true; done
