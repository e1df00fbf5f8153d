# 05_disorder_late: --disorder-ms and --late-fraction change the send order,
# never the events: the same set arrives, out of order within the bounds.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka
T=$(uniq_topic disorder)
test_workdir W
SIM=(-n 20 --start-time "2026-11-22 07:00:00" -d 20m --seed 21 --disorder-ms 5000 --late-fraction 0.02 --late-by 2m)

"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -p 1 "${SIM[@]}" 2>/dev/null; rc=$?
check_eq "producer exits 0" "$rc" 0
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T" >"$W/actual" 2>/dev/null
"$RF_BIN/producer" --print -n 20 --start-time "2026-11-22 07:00:00" -d 20m --seed 21 2>/dev/null | sort >"$W/inorder"
check_eq "24000 events arrive" "$(wc -l <"$W/actual")" 24000
check "the same events as an in-order run, none lost or doubled" cmp -s <(sort "$W/actual") "$W/inorder"

# In arrival order (one partition): how far behind the newest event so far is
# each one? Up to 5 s is disorder; more is a late event (held back 2 minutes,
# or flushed at the end of the run).
stats=$(python3 - "$W/actual" <<'PY'
import json, sys, datetime
fmt = "%Y-%m-%d %H:%M:%S.%f"
newest = None; disordered = late = 0; worst_disorder = 0
for line in open(sys.argv[1]):
    t = datetime.datetime.strptime(json.loads(line)["StatusTime"], fmt).timestamp()
    if newest is not None and t < newest:
        behind = newest - t
        if behind > 5: late += 1
        else:
            disordered += 1; worst_disorder = max(worst_disorder, behind)
    newest = t if newest is None else max(newest, t)
print(disordered, late, worst_disorder)
PY
)
read -r disordered late worst <<<"$stats"
check "many events out of order (${disordered})" test "$disordered" -gt 2400
check "disorder stays within 5 s (worst ${worst} s)" python3 -c "import sys; sys.exit(not $worst <= 5.0)"
check "about 2% sent far behind (${late} of 24000)" test "$late" -gt 300 -a "$late" -lt 700
finish
