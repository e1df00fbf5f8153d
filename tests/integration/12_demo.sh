# 12_demo: `make demo`'s script starts the whole pipeline, prints the map's
# URL (which serves the fleet), shows the processor's live view of the fleet
# as a table, and stops cleanly on SIGTERM, leaving no process behind.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka redis postgres
test_workdir W
cd "$RF_ROOT"
DEMO_PORT=$(_rf_free_port)
UNICORNS=5 DEMO_PORT=$DEMO_PORT timeout --foreground --preserve-status -s TERM 20 scripts/demo.sh >"$W/out" 2>"$W/err" &
demo=$!
wait_for 30 "the demo's map" curl -sf "http://127.0.0.1:$DEMO_PORT/api/fleet"
has_shadowfax() { curl -s "http://127.0.0.1:$DEMO_PORT/api/fleet" | grep -q '"name":"Shadowfax"'; }
wait_for 15 "Shadowfax on the map" has_shadowfax
fleet=$(curl -s "http://127.0.0.1:$DEMO_PORT/api/fleet")
wait "$demo"; rc=$?
check_match "the map's URL is printed" "$(cat "$W/err")" "demo: open the map:  http://127.0.0.1:$DEMO_PORT/"
check_match "  and it serves the live fleet" "$fleet" '"name":"Shadowfax"' 
check_eq "the demo stops on SIGTERM with exit 0" "$rc" 0
check_match "it says where Kafka is" "$(cat "$W/err")" "demo: Kafka at 127.0.0.1:[0-9]+"
check_match "it shows the processor's live table" "$(head -1 "$W/out")" "^Name +StatusTime +Reports +Distance +MinHealthPoints$"
check "it shows live rows, updated each second ($(($(wc -l <"$W/out") - 2)))" test "$(wc -l <"$W/out")" -ge 17
check_match "  for each unicorn" "$(cut -d' ' -f1 "$W/out" | sort -u | tr '\n' ' ')" "Shadowfax"
sleep 0.5
left=$(pgrep -af '[b]in/(producer|consumer|processor|sink|dashboard) -b '"$RF_BROKERS"'')
check_eq "no producer, processor, sink, dashboard or consumer is left running" "$left" ""
finish
