# 12_demo: `make demo`'s script starts, shows the live fleet as a table, and
# stops cleanly on SIGTERM, leaving no process behind.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka
test_workdir W
cd "$RF_ROOT"
UNICORNS=5 timeout --foreground --preserve-status -s TERM 12 scripts/demo.sh >"$W/out" 2>"$W/err"; rc=$?
check_eq "the demo stops on SIGTERM with exit 0" "$rc" 0
check_match "it says where Kafka is" "$(cat "$W/err")" "demo: Kafka at 127.0.0.1:[0-9]+"
check_match "it shows a table header" "$(head -1 "$W/out")" "^Name +StatusTime +Latitude +Longitude +Distance +MagicPoints +HealthPoints$"
check "it shows live rows ($(($(wc -l <"$W/out") - 2)))" test "$(wc -l <"$W/out")" -ge 12
sleep 0.5
left=$(pgrep -af '[b]in/(producer|consumer) -b '"$RF_BROKERS"' (-n 5|--from end --follow -F table)')
check_eq "no producer or consumer is left running" "$left" ""
finish
