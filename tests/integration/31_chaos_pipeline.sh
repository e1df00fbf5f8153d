# 31_chaos_pipeline: the whole pipeline on a three-node Kafka while things
# die. The producer sends a seeded fleet with disorder and late events; the
# processor runs the shipped processor/wildrydes.sql; a summary sink writes
# to PostgreSQL and Redis, an archive sink to a directory. Meanwhile a loop
# kill -9s and restarts the processor and the sinks, kill -9s brokers (the
# processor's transaction coordinator, a partition leader, the sink's group
# coordinator) and restarts them 6 s later, and SIGSTOPs a broker for 12 s
# (longer than the brokers' and the consumers' session timeouts). At the end
# every program has only ever stopped when killed, and every result is
# exact against independent models: each closed window once with its
# values, the fleet-wide minutes, every late event on the late topic,
# PostgreSQL and Redis, and every event archived once.
#
# RF_CHAOS_SECONDS (default 70) is how long the faults go on; the long form
# is RF_CHAOS_SECONDS=1800 (with RF_TEST_TIMEOUT=3000 under tests/run.sh).
# RF_CHAOS_SEED replays a run's choices.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/stream.sh"
# A cluster of its own: this test kills its brokers.
unset RF_KAFKA3_BROKERS RF_KAFKA3_DIR
env_need kafka3 redis postgres
B=$RF_KAFKA3_BROKERS
test_workdir W
SECS=${RF_CHAOS_SECONDS:-70}
SEED=${RF_CHAOS_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$SEED
echo "# chaos for ${SECS}s, seed $SEED (RF_CHAOS_SEED=$SEED replays the choices)"
TABLE="chaos_$$"
REDIS_PORT=${RF_REDIS_URL##*:}
A="$W/archive"

# The fleet: 20 unicorns, one report a second each, SECS/3 minutes of event
# time sent in about SECS seconds. Its seed is fixed (its unicorns fall
# below 100 health points, so low_health has windows); the faults are not.
MINUTES=$((SECS / 3))
SIM=(-n 20 --start-time "2026-11-22 07:00:00" -d "${MINUTES}m" --seed 31 --disorder-ms 3000
     --late-fraction 0.005 --late-by 75s)
P=(-b "$B" -f "$RF_ROOT/processor/wildrydes.sql" -G chaos-proc -i one --status-interval 1h --idle-timeout 0
   --commit-interval 200ms -X session.timeout.ms=6000)
S1=(-b "$B" -t wildrydes-summary --to "$RF_PG_URL?table=$TABLE" --to "$RF_REDIS_URL" -G chaos-sum --max-records 300
    --status-interval 1h -X session.timeout.ms=6000)
S2=(-b "$B" -t wildrydes --to "file://$A" -G chaos-arch --max-records 2000 --batch-bytes 300000 --batch-seconds 1s
    --status-interval 1h -X session.timeout.ms=6000)

"$RF_BIN/producer" -b "$B" -t wildrydes -p 4 "${SIM[@]}" -r 400 2>"$W/producer.err" &
producer=$!
has_topic() { kcat -b "$B" -L -t "$1" -m 5 2>/dev/null | grep -q "partition 0, leader [1-9]"; }
wait_for 60 "the source topic" has_topic wildrydes
declare -A pid=() kills=() self_exits=()
start() { # start proc|sum|arch
    case $1 in
        proc) "$RF_BIN/processor" "${P[@]}" 2>>"$W/proc.err" & ;;
        sum) "$RF_BIN/sink" "${S1[@]}" 2>>"$W/sum.err" & ;;
        arch) "$RF_BIN/sink" "${S2[@]}" 2>>"$W/arch.err" & ;;
    esac
    pid[$1]=$!
}
# kill9 NAME: kill -9 it. One that had already exited stopped on its own:
# counted, and its log says why.
kill9() {
    kill -9 "${pid[$1]}" 2>/dev/null
    wait "${pid[$1]}" 2>/dev/null
    local rc=$?
    if [ "$rc" = 137 ]; then kills[$1]=$(( ${kills[$1]:-0} + 1 )); else self_exits[$1]="${self_exits[$1]:-} $rc"; fi
}
restart() { kill9 "$1"; start "$1"; }
start proc
wait_for 60 "the processor's output topics" has_topic wildrydes-summary
start sum
start arch

# Kafka's own placement: the node leading the partition of __consumer_offsets
# or __transaction_state that an id hashes to (Utils.abs(id.hashCode()) % n).
coordinator() { # coordinator INTERNAL_TOPIC PARTITIONS ID
    local p; p=$(python3 -c '
import sys
h = 0
for c in sys.argv[2]: h = (31 * h + ord(c)) & 0xffffffff
h = h - (1 << 32) if h >= 1 << 31 else h
print(abs(h) % int(sys.argv[1]))' "$2" "$3")
    leader_of "$1" "$p"
}
leader_of() { # leader_of TOPIC PARTITION
    kcat -b "$B" -L -t "$1" -m 5 2>/dev/null | sed -nE "s/^ *partition $2, leader ([0-9]+),.*/\1/p" | head -1
}
# Broker faults run in the background, one at a time.
bfault=""; bkills=0; pauses=0; victims=""
broker_fault() { # broker_fault kill|pause
    local victim
    if [ "$1" = pause ]; then
        victim=$(( RANDOM % 3 + 1 ))
        ( kafka3_node "$victim" pause && sleep 12; kafka3_node "$victim" resume ) >>"$W/faults.log" 2>&1 &
        pauses=$((pauses + 1))
    else
        case $(( bkills % 3 )) in
            0) victim=$(coordinator __transaction_state 50 "rydeflow-chaos-proc-one") ;;
            1) victim=$(leader_of wildrydes $(( RANDOM % 4 ))) ;;
            2) victim=$(coordinator __consumer_offsets 8 chaos-sum) ;;
        esac
        [[ "$victim" =~ ^[1-3]$ ]] || victim=$(( RANDOM % 3 + 1 ))
        ( kafka3_node "$victim" kill && sleep 6; kafka3_node "$victim" start ) >>"$W/faults.log" 2>&1 &
        bkills=$((bkills + 1))
    fi
    bfault=$!
    victims+=" $1:$victim"
    echo "$(date +%T) broker $victim: $1" >>"$W/faults.log"
}

# The faults: a fixed opening that has every kind, then random ones.
PLAN=(proc kill sum arch pause proc sum kill arch proc)
end=$(( $(date +%s) + SECS ))
i=0
while [ "$(date +%s)" -lt "$end" ]; do
    act=${PLAN[$i]:-}
    [ -n "$act" ] || { ALL=(proc sum arch kill pause); act=${ALL[$(( RANDOM % 5 ))]}; }
    case $act in
        proc|sum|arch) restart "$act"; echo "$(date +%T) $act: kill -9, restart" >>"$W/faults.log" ;;
        kill|pause) # one broker fault at a time: a planned one waits for the last to end
            if [ -n "$bfault" ] && kill -0 "$bfault" 2>/dev/null; then
                sleep 1; [ -n "${PLAN[$i]:-}" ] && continue
            else broker_fault "$act"; fi ;;
    esac
    i=$((i + 1))
    sleep "$(( RANDOM % 3 + 2 )).$(( RANDOM % 10 ))"
done
[ -n "$bfault" ] && wait "$bfault"
wait "$producer"
check_eq "the producer delivered every event through the faults (exit 0)" "$?" 0
check "  and said so" grep -q "failed 0, undelivered 0" "$W/producer.err"
# A last kill of each, then a run that finishes the input.
for p in proc sum arch; do kill9 "$p"; done
check "brokers were killed -9 and restarted ($bkills:$victims)" test "$bkills" -ge 2
check "  and paused longer than the session timeouts ($pauses)" test "$pauses" -ge 1
check "the processor was killed -9 and restarted (${kills[proc]:-0})" test "${kills[proc]:-0}" -ge 3
check "  the summary sink too (${kills[sum]:-0})" test "${kills[sum]:-0}" -ge 2
check "  the archive sink too (${kills[arch]:-0})" test "${kills[arch]:-0}" -ge 2
check_eq "no program stopped on its own (${!self_exits[*]}:${self_exits[*]:-})" "${#self_exits[@]}" 0
# A node resumed after a pause registers with the controller again first.
all_back() { [ "$(timeout 10 kcat -b "$B" -L -m 5 2>/dev/null | grep -c ' at 127.0.0.1:')" = 3 ]; }
check "every node is back in the cluster" wait_for 90 "every node" all_back

send_sentinels "$B" wildrydes 40
timeout 300 "$RF_BIN/processor" "${P[@]}" --exit-at-end 2>>"$W/proc.err"
check_eq "a last processor run finishes the input (exit 0)" "$?" 0
timeout 300 "$RF_BIN/sink" "${S1[@]}" --exit-at-end 2>>"$W/sum.err"
check_eq "a last summary sink finishes (exit 0)" "$?" 0
timeout 300 "$RF_BIN/sink" "${S2[@]}" --exit-at-end 2>>"$W/arch.err"
check_eq "a last archive sink finishes (exit 0)" "$?" 0

# The source: exactly the seeded fleet.
"$RF_BIN/consumer" -b "$B" -t wildrydes --show partition,offset >"$W/events.jsonl" 2>/dev/null
grep -v sentinel "$W/events.jsonl" | python3 -c '
import json, sys
for l in sys.stdin: print(json.dumps(json.loads(l)["value"], separators=(",", ":")))' | sort >"$W/sent"
"$RF_BIN/producer" --print "${SIM[@]}" 2>/dev/null | python3 -c '
import json, sys
for l in sys.stdin: print(json.dumps(json.loads(l), separators=(",", ":")))' | sort >"$W/seeded"
check_eq "every seeded event is in the source topic once" "$(wc -l <"$W/sent")" "$(( 20 * 60 * MINUTES ))"
check "  exactly the seeded events" cmp -s "$W/sent" "$W/seeded"

# The processor: every closed window exact and once; every late event.
mkdir -p "$W/out"
for s in summary:wildrydes_summary low-health:low_health rides:rides live:live_minute; do
    "$RF_BIN/consumer" -b "$B" -t "wildrydes-${s%%:*}" --show key >"$W/out/${s#*:}.jsonl" 2>/dev/null
done
"$RF_BIN/consumer" -b "$B" -t wildrydes-late --show key >"$W/out/late.jsonl" 2>/dev/null
model_checks stream_truth.py --shipped "$W/events.jsonl" "$W/out"
"$RF_BIN/consumer" -b "$B" -t chaos-proc-fleet_minute-repartition --show partition,offset,headers \
    >"$W/internal.jsonl" 2>/dev/null
"$RF_BIN/consumer" -b "$B" -t wildrydes-fleet >"$W/fleet.jsonl" 2>/dev/null
"$RF_BIN/consumer" -b "$B" -t wildrydes-late >"$W/late.jsonl" 2>/dev/null
model_checks merged_truth.py "$W/events.jsonl" "$W/internal.jsonl" "$W/fleet.jsonl" "$W/late.jsonl" \
    fleet_minute StatusTime

# The stores and the archive.
model_checks store_truth.py "$W/events.jsonl" "$RF_PG_URL" "$TABLE" "$REDIS_PORT"
for f in $(find "$A/wildrydes" -name '*.ndjson.gz'); do gzip -dc "$f"; done | sort >"$W/archived"
"$RF_BIN/consumer" -b "$B" -t wildrydes 2>/dev/null | sort >"$W/topic"
check_eq "the archive holds as many events as the topic" "$(wc -l <"$W/archived")" "$(wc -l <"$W/topic")"
check "  exactly the topic's events, none twice" cmp -s "$W/topic" "$W/archived"
check "no program reported an error" test -z "$(grep -h '^[a-z]*: error: ' "$W/proc.err" "$W/sum.err" "$W/arch.err")"
echo "# consumers renewed after a static member's fencing: processor $(grep -c 'joining the group again' "$W/proc.err"),"\
     "summary sink $(grep -c 'joining the group again' "$W/sum.err"), archive sink $(grep -c 'joining the group again' "$W/arch.err");"\
     "producers renewed: $(grep -c 'starting a new producer' "$W/proc.err")"
finish
