#!/usr/bin/env python3
"""three_way.py - one answer, whichever way it is asked (issue 17).

For each continuous query of processor/wildrydes.sql that has a batch
equivalent, compare three sets of rows:
  1. what the processor emitted for closed windows (OUTDIR/<stream>.jsonl, as
     `consumer --show key` printed the stream's topic; for EMIT CHANGES the
     last change of each window),
  2. bin/sql's rows for the batch query over the archive of TOPIC,
  3. DuckDB's rows for the same question over the same archive files.
Rows are matched by their keys (name and window start); numbers compare to a
relative 1e-9 (sums in another order), everything else exactly. Events at or
after CUTOFF (the sentinels that close every window) are left out.

usage: three_way.py SQL_BIN ARCHIVE_ROOT TOPIC OUTDIR CUTOFF
Prints "ok N - what" / "not ok N - what" with "#" lines saying why."""
import json
import os
import subprocess
import sys

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from duck_rows import norm, report, same  # noqa: E402

# stream -> (key columns, value columns, rydeflow batch query, DuckDB query).
# {t} is the topic, {c} the cutoff. DuckDB buckets with time_bucket, which
# (unlike date_trunc in comparisons on a table, in 1.4.4) is exact.
CASES = [
    ("wildrydes_summary", ["Name", "StatusTime"],
     ["Distance", "MinMagicPoints", "MaxMagicPoints", "MinHealthPoints", "MaxHealthPoints"],
     "SELECT Name, FLOOR(StatusTime TO MINUTE) AS StatusTime, SUM(Distance) AS Distance, "
     "MIN(MagicPoints) AS MinMagicPoints, MAX(MagicPoints) AS MaxMagicPoints, MIN(HealthPoints) AS MinHealthPoints, "
     "MAX(HealthPoints) AS MaxHealthPoints FROM \"{t}\" WHERE StatusTime < '{c}' "
     "GROUP BY Name, FLOOR(StatusTime TO MINUTE)",
     "SELECT Name, time_bucket(INTERVAL '1 minute', StatusTime) AS StatusTime, SUM(Distance), MIN(MagicPoints), "
     "MAX(MagicPoints), MIN(HealthPoints), MAX(HealthPoints) FROM events WHERE StatusTime < TIMESTAMP '{c}' "
     "GROUP BY ALL"),
    ("live_minute", ["Name", "StatusTime"], ["Reports", "Distance", "MinHealthPoints"],
     "SELECT Name, FLOOR(StatusTime TO MINUTE) AS StatusTime, COUNT(*) AS Reports, SUM(Distance) AS Distance, "
     "MIN(HealthPoints) AS MinHealthPoints FROM \"{t}\" WHERE StatusTime < '{c}' "
     "GROUP BY Name, FLOOR(StatusTime TO MINUTE)",
     "SELECT Name, time_bucket(INTERVAL '1 minute', StatusTime) AS StatusTime, COUNT(*), SUM(Distance), "
     "MIN(HealthPoints) FROM events WHERE StatusTime < TIMESTAMP '{c}' GROUP BY ALL"),
    ("fleet_minute", ["StatusTime"], ["Reports", "Unicorns", "Distance", "AvgHealthPoints"],
     "SELECT FLOOR(StatusTime TO MINUTE) AS StatusTime, COUNT(*) AS Reports, COUNT(DISTINCT Name) AS Unicorns, "
     "SUM(Distance) AS Distance, AVG(HealthPoints) AS AvgHealthPoints FROM \"{t}\" WHERE StatusTime < '{c}' "
     "GROUP BY FLOOR(StatusTime TO MINUTE)",
     "SELECT time_bucket(INTERVAL '1 minute', StatusTime) AS StatusTime, COUNT(*), COUNT(DISTINCT Name), "
     "SUM(Distance), AVG(HealthPoints) FROM events WHERE StatusTime < TIMESTAMP '{c}' GROUP BY ALL"),
]






def compare(what, a, b, problems):
    """a, b: {key tuple: value tuple}."""
    if a.keys() != b.keys():
        only_a, only_b = sorted(a.keys() - b.keys()), sorted(b.keys() - a.keys())
        problems.append(f"{what}: {len(only_a)} windows only in the first, {len(only_b)} only in the second "
                        f"(e.g. {(only_a or only_b)[:2]})")
        return
    for k in sorted(a):
        if len(a[k]) != len(b[k]) or not all(same(x, y) for x, y in zip(a[k], b[k])):
            problems.append(f"{what}: window {k}: {a[k]} != {b[k]}")
            return


def keyed(rows, nkeys):
    out = {}
    for r in rows:
        out[tuple(r[:nkeys])] = tuple(r[nkeys:])
    return out


def main() -> int:
    sql_bin, root, topic, outdir, cutoff = sys.argv[1:6]
    con = duckdb.connect()
    con.execute(
        f"CREATE VIEW events AS SELECT * FROM read_json_auto('{root}/{topic}/**/*.ndjson.gz', "
        "format='newline_delimited', timestampformat='%Y-%m-%d %H:%M:%S.%g')")
    failed = 0
    for n, (stream, keys, values, ours_q, duck_q) in enumerate(CASES, 1):
        problems = []
        proc = {}
        for line in open(f"{outdir}/{stream}.jsonl"):
            rec = json.loads(line)
            rec = rec.get("value", rec)
            if rec.get("StatusTime", "") >= cutoff or str(rec.get("Name", "")).startswith("sentinel-"):
                continue
            # EMIT CHANGES: a later change of the same window replaces the earlier
            proc[tuple(norm(rec[k]) for k in keys)] = tuple(norm(rec[v]) for v in values)
        q = ours_q.format(t=topic, c=cutoff)
        out = subprocess.run([sql_bin, "--archive", f"file://{root}", "-F", "json", q], capture_output=True,
                             text=True)
        if out.returncode != 0:
            problems.append(f"bin/sql exit {out.returncode}: {out.stderr.strip()}")
            batch = {}
        else:
            batch = keyed([tuple(norm(v) for v in json.loads(l).values()) for l in out.stdout.splitlines()],
                          len(keys))
        duck = keyed([tuple(norm(v) for v in r) for r in con.execute(duck_q.format(c=cutoff)).fetchall()],
                     len(keys))
        if not proc:
            problems.append("the processor emitted nothing")
        if not problems:
            compare("processor vs bin/sql", proc, batch, problems)
            compare("bin/sql vs DuckDB", batch, duck, problems)
        failed += report(n, f"{stream}: processor = bin/sql = DuckDB ({len(proc)} windows)", problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
