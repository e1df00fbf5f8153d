#!/usr/bin/env python3
"""make_summaries.py - per-minute summary records (as the processor writes
to wildrydes-summary) for sink tests, as "KEY<TAB>JSON" lines for kcat -K'\\t'.

usage: make_summaries.py UNICORNS MINUTES [--odd]
--odd adds names full of quotes, backslashes, tabs and Unicode, a record
that is not JSON, and one whose MinMagicPoints is out of PostgreSQL's
integer range (the sink must dead-letter those two and write the rest)."""
import datetime, json, random, sys

unicorns, minutes = int(sys.argv[1]), int(sys.argv[2])
odd = "--odd" in sys.argv
rng = random.Random(7)
names = [f"Unicorn-{i:03d}" for i in range(unicorns)]
if odd:
    names += ['Quote"Unicorn', "Back\\slash Pegasus", "Tab\tHorn", "Einhörnchen Ünïcode 🦄", "O'Brien; DROP TABLE x"]
for m in range(minutes):
    for n in names:
        mm = rng.randint(100, 160); hh = rng.randint(80, 160)
        t = datetime.datetime(2026, 11, 22, 7, 0) + datetime.timedelta(minutes=m)
        rec = {"Name": n, "StatusTime": t.strftime("%Y-%m-%d %H:%M:00.000"), "Distance": round(rng.uniform(1700, 1900), 1),
               "MinMagicPoints": mm, "MaxMagicPoints": mm + rng.randint(0, 5),
               "MinHealthPoints": hh, "MaxHealthPoints": hh + rng.randint(0, 5)}
        print(n.replace("\t", " ") + "\t" + json.dumps(rec, ensure_ascii=False))
if odd:
    print("bad\tthis is not json")
    print("Huge\t" + json.dumps({"Name": "Huge", "StatusTime": "2026-11-22 07:00:00.000", "Distance": 1.0,
                                 "MinMagicPoints": 99999999999, "MaxMagicPoints": 1, "MinHealthPoints": 1,
                                 "MaxHealthPoints": 1}))
