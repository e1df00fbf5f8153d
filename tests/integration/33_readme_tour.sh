# 33_readme_tour: README.md's tour is a promise. Every command of it runs
# here as written (tests/lib/readme_tour.py takes them from the README),
# first against the Apache Kafka the tour's own `scripts/kafka.sh &` starts,
# then against the dev broker its `bin/devbroker &` starts. Only the
# placeholders change: the broker's address for 127.0.0.1:PORT and "...",
# the test's PostgreSQL, Redis and directories for the tour's. A command
# that ends by itself must exit 0; one that follows a topic or runs until
# stopped (the live producer, the processor, the sinks) is stopped with
# SIGTERM after a while and must then exit 0.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need redis postgres
test_workdir W
cd "$RF_ROOT"
python3 tests/lib/readme_tour.py README.md >"$W/tour.tsv"
check "the tour has its commands ($(wc -l <"$W/tour.tsv"))" test "$(wc -l <"$W/tour.tsv")" -ge 15
"$RF_BIN/producer" -n 5 -c 100 --start-time 2026-11-22 --print >"$W/events.ndjson" 2>/dev/null
printf '{"Name":"broken"\n' >>"$W/events.ndjson"

# bg COMMAND: start a server of the tour, wait for the address it prints:
# BG_ADDR, and its pid BG_PID (stopped when the test ends). Not in a $(...)
# subshell: the server must stay this shell's child, or nothing stops it.
bg() {
    local out="$W/bg$RANDOM.out"
    BG_ADDR=""
    eval "exec $1" >"$out" 2>"$out.err" & # exec: the pid is the server's, so that stopping it stops it
    BG_PID=$!
    on_exit "kill $BG_PID"
    wait_for 120 "$1" grep -q . "$out" || return 1
    BG_ADDR=$(head -1 "$out")
}
# until_stopped: a command that runs until stopped (it follows a topic, or
# it is the live producer, the processor or a sink).
until_stopped() {
    case "$1" in
        *--follow*|*" --unicorns "*|bin/processor*|bin/sink*) return 0 ;;
        *) return 1 ;;
    esac
}
# tour BROKER NAME: run every command after the servers against BROKER.
tour() {
    local B=$1 name=$2 kind cmd n=0 rc secs out
    local A="$W/$name-archive"
    while IFS=$'\t' read -r kind cmd; do
        [ "$kind" = bg ] && continue
        cmd=${cmd//127.0.0.1:PORT/$B}
        cmd=${cmd//-b .../-b $B}
        cmd=${cmd//postgresql:\/\/postgres@127.0.0.1:5432\/rydeflow/$RF_PG_URL}
        cmd=${cmd//redis:\/\/127.0.0.1:6379/$RF_REDIS_URL}
        cmd=${cmd//\/tmp\/archive/$A}
        cmd=${cmd//events.ndjson/$W/events.ndjson}
        cmd=${cmd//fleet.csv/$W/$name-fleet.csv}
        n=$((n + 1))
        out="$W/$name-$n.out"
        if until_stopped "$cmd"; then
            secs=3
            case "$cmd" in bin/processor*|bin/sink*) secs=8 ;; esac
            # (Not timeout(1): it signals the whole process group, and a
            # second SIGTERM means "stop at once" to rydeflow's programs.)
            bash -c "exec $cmd" >"$out" 2>"$out.err" </dev/null &
            local pid=$!
            sleep "$secs" # how long the live command runs, as a user would let it
            kill -TERM "$pid"
            wait "$pid"
        elif [[ "$cmd" == "bin/sql --archive $A" ]]; then
            # the prompt, given its queries on standard input
            printf 'SELECT COUNT(*) AS n FROM wildrydes;\n' | timeout 60 bash -c "$cmd" >"$out" 2>"$out.err"
        else
            timeout 120 bash -c "$cmd" >"$out" 2>"$out.err" </dev/null
        fi
        rc=$?
        check_eq "$name: $cmd" "$rc" 0
        [ "$rc" = 0 ] || sed 's/^/    # /' "$out.err" | tail -5
    done <"$W/tour.tsv"
    # What the tour's commands left behind, as the README says.
    check_match "$name:   the CSV has a header and the fleet" "$(head -2 "$W/$name-fleet.csv")" "^Name,StatusTime,Latitude"
    # (The live fleet came first, so the backfilled hour is late: its events are
    # on the late topic, and the live minute is what the processor shows.)
    check "$name:   the processor showed the live minute" test "$(timeout 30 "$RF_BIN/consumer" -b "$B" -t wildrydes-live 2>/dev/null | wc -l)" -gt 0
    check "$name:   and sent the backfilled hour to the late topic" test "$(timeout 30 "$RF_BIN/consumer" -b "$B" -t wildrydes-late -c 10 2>/dev/null | wc -l)" -eq 10
    check "$name:   the sink filled the archive" test -n "$(find "$A/wildrydes" -name '*.ndjson.gz' 2>/dev/null | head -1)"
    check_match "$name:   and bin/sql answers from it" "$(cat "$W/$name-$((n - 1)).out")" "^Name +d"
}

# 1. Apache Kafka, started the tour's way.
bg "$(awk -F'\t' '$1 == "bg" {print $2; exit}' "$W/tour.tsv")"
B=$BG_ADDR
check_match "scripts/kafka.sh & prints the broker's address" "$B" "^127\\.0\\.0\\.1:[0-9]+$"
[ -n "$B" ] && tour "$B" kafka
kill -TERM "$BG_PID"; wait "$BG_PID"

# 2. The dev broker, started the tour's way.
bg "$(awk -F'\t' '$1 == "bg" {print $2}' "$W/tour.tsv" | sed -n 2p)"
D=$BG_ADDR
check_match "bin/devbroker & prints the broker's address" "$D" "^127\\.0\\.0\\.1:[0-9]+"
[ -n "$D" ] && tour "$D" devbroker
kill -TERM "$BG_PID"; wait "$BG_PID"
check "both servers of the tour are stopped" test -z "$(ps -o pid= --ppid $$ 2>/dev/null | xargs -r ps -o cmd= -p 2>/dev/null | grep -E 'kafka|devbroker')"
finish
