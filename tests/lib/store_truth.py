#!/usr/bin/env python3
"""store_truth.py - the summary sink's stores against the independent model.

The per-unicorn minute summaries that tests/lib/stream_truth.py expects from
processor/wildrydes.sql's wildrydes_summary, compared with what the summary
sink left in PostgreSQL (one row per unicorn and minute, values equal) and
Redis (every unicorn; its hash holds its latest minute; its sorted set one
member per minute, the latest 60).

    store_truth.py EVENTS PG_URL TABLE REDIS_PORT

EVENTS: the source topic as `consumer --show partition,offset` printed it.
Prints "ok <what>" or "FAIL <what>: <detail>" per check; exits 1 on a failure.
"""
import collections, json, math, os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stream_truth import SHIPPED, run  # the model, shared

KEEP_MINUTES = 60
FIELDS = ["Distance", "MinMagicPoints", "MaxMagicPoints", "MinHealthPoints", "MaxHealthPoints"]


def main():
    events_path, pg_url, table, redis_port = sys.argv[1:5]
    events = [json.loads(l) for l in open(events_path)]
    expected, _ = run(events, {"wildrydes_summary": SHIPPED["wildrydes_summary"]})
    want = {k: v for k, v in expected["wildrydes_summary"].items()}
    failed = 0

    def report(ok, what, detail=""):
        nonlocal failed
        print(("ok " if ok else "FAIL ") + what + ("" if ok else ": " + detail))
        failed += not ok

    # PostgreSQL: one row per (Name, minute), values as the model's.
    out = subprocess.run(["psql", pg_url, "-AtqF", "\t", "-c",
                          "SELECT name, to_char(status_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), distance,"
                          " min_magic_points, max_magic_points, min_health_points, max_health_points FROM " + table],
                         capture_output=True, text=True, check=True).stdout
    got = {}
    for line in out.splitlines():
        f = line.split("\t")
        got[(f[0], f[1])] = dict(zip(FIELDS, [float(f[2])] + [int(x) for x in f[3:]]))
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    report(want and not missing and not extra, "PostgreSQL: one row per closed minute (%d)" % len(want),
           "%d missing, %d extra, e.g. %s" % (len(missing), len(extra), (missing + extra)[:3]))
    wrong = [k for k in want if k in got and not all(
        math.isclose(want[k][f], got[k][f], rel_tol=1e-9) for f in FIELDS)]
    report(not wrong, "PostgreSQL: every row's values equal the model's",
           "%d differ, e.g. %s" % (len(wrong), [(want[k], got[k]) for k in wrong[:2]]))

    # Redis: the latest minute per unicorn and the recent minutes, once each.
    def redis(*args):
        return subprocess.run(["redis-cli", "-p", redis_port, *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    minutes = collections.defaultdict(list)
    for (name, minute) in want:
        minutes[name].append(minute)
    members = set(redis("SMEMBERS", "unicorns").split())
    report(members == set(minutes), "Redis: every unicorn (%d)" % len(minutes),
           "%d missing, %d extra" % (len(set(minutes) - members), len(members - set(minutes))))
    bad_latest, bad_count = [], []
    for name, ms in minutes.items():
        latest = redis("HGET", "unicorn:" + name, "StatusTime")
        if latest != max(ms):
            bad_latest.append((name, latest, max(ms)))
        n = int(redis("ZCARD", "unicorn:%s:minutes" % name) or 0)
        if n != min(KEEP_MINUTES, len(ms)):
            bad_count.append((name, n, len(ms)))
    report(not bad_latest, "Redis: each unicorn's hash holds its latest minute", str(bad_latest[:3]))
    report(not bad_count, "Redis: each unicorn's recent minutes, each once", str(bad_count[:3]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
