# 12_demo: `make demo`'s script starts, shows the processor's live view of
# the fleet as a table, and stops cleanly on SIGTERM, leaving no process behind.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka
test_workdir W
cd "$RF_ROOT"
UNICORNS=5 timeout --foreground --preserve-status -s TERM 15 scripts/demo.sh >"$W/out" 2>"$W/err"; rc=$?
check_eq "the demo stops on SIGTERM with exit 0" "$rc" 0
check_match "it says where Kafka is" "$(cat "$W/err")" "demo: Kafka at 127.0.0.1:[0-9]+"
check_match "it shows the processor's live table" "$(head -1 "$W/out")" "^Name +StatusTime +Reports +Distance +MinHealthPoints$"
check "it shows live rows, updated each second ($(($(wc -l <"$W/out") - 2)))" test "$(wc -l <"$W/out")" -ge 17
check_match "  for each unicorn" "$(cut -d' ' -f1 "$W/out" | sort -u | tr '\n' ' ')" "Shadowfax"
sleep 0.5
left=$(pgrep -af '[b]in/(producer|consumer|processor) -b '"$RF_BROKERS"' (-n 5|-t wildrydes-live|-f processor)')
check_eq "no producer, processor or consumer is left running" "$left" ""
finish
