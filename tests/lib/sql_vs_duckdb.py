#!/usr/bin/env python3
"""sql_vs_duckdb.py - run each query with bin/sql and its counterpart with
DuckDB (read_json_auto over the same archive, hive_partitioning=true) and
require the same rows: same count, and row by row the same values (floats to
a relative 1e-9, timestamps compared as text). Queries with ORDER BY are
compared in order, the others as multisets.

usage: sql_vs_duckdb.py SQL_BIN ARCHIVE_ROOT CASES_FILE
CASES_FILE: blocks separated by blank lines; each block is
  name: <what it checks>
  rydeflow: <query in rydeflow's dialect, FROM wildrydes>
  duckdb: <the same query for DuckDB, FROM events>
Prints "ok N - name" / "not ok N - name" per case."""
import json
import os
import subprocess
import sys

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from duck_rows import norm, report, same  # noqa: E402






def row_key(r):
    return tuple((0, round(x, 6)) if isinstance(x, float) else (1, str(x)) for x in r)


def main() -> int:
    sql_bin, root, cases_file = sys.argv[1:4]
    con = duckdb.connect()
    con.execute(
        f"CREATE VIEW events AS SELECT * FROM read_json_auto('{root}/wildrydes/**/*.ndjson.gz', "
        "hive_partitioning=true, format='newline_delimited', timestampformat='%Y-%m-%d %H:%M:%S.%g')"
    )
    blocks = [b for b in open(cases_file).read().split("\n\n") if b.strip()]
    failed = 0
    for n, block in enumerate(blocks, 1):
        case = dict(line.split(": ", 1) for line in block.strip().splitlines())
        out = subprocess.run([sql_bin, "--archive", f"file://{root}", "-F", "json", case["rydeflow"]],
                             capture_output=True, text=True)
        problems = []
        if out.returncode != 0:
            problems.append(f"bin/sql exit {out.returncode}: {out.stderr.strip()}")
            ours = []
        else:
            ours = [tuple(norm(v) for v in json.loads(line).values()) for line in out.stdout.splitlines()]
        theirs = [tuple(norm(v) for v in r) for r in con.execute(case["duckdb"]).fetchall()]
        if not problems:
            if len(ours) != len(theirs):
                problems.append(f"{len(ours)} rows, DuckDB {len(theirs)}")
            else:
                if "ORDER BY" not in case["rydeflow"].upper():
                    ours, theirs = sorted(ours, key=row_key), sorted(theirs, key=row_key)
                for i, (a, b) in enumerate(zip(ours, theirs)):
                    if len(a) != len(b) or not all(same(x, y) for x, y in zip(a, b)):
                        problems.append(f"row {i}: {a} != DuckDB {b}")
                        break
        failed += report(n, f"{case['name']} ({len(theirs)} rows)", problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
