#!/usr/bin/env python3
"""make_archive.py - write NDJSON records (stdin) as an archive in DESIGN.md's
layout, as the sink's archive will: gzip NDJSON objects under
  ROOT/TOPIC/year=YYYY/month=MM/day=DD/hour=HH/TOPIC+PARTITION+OFFSET.ndjson.gz
Records are spread over PARTITIONS by Kafka's murmur2 of their Name (like the
producer), numbered with per-partition offsets, and an object is rotated after
--per-object records or when the hour of the object's first record ends; so
an object may straddle an hour boundary, as Firehose objects do.

With --by-event-hour every record goes to an object of its own event hour
(per partition), as rydeflow's sink writes, and the marker
ROOT/TOPIC/_rydeflow_partitioned_by_event_time says so: bin/sql prunes
objects by hour only in such an archive.

usage: make_archive.py ROOT [--topic wildrydes] [--partitions 4] [--per-object 5000] [--by-event-hour]
Lines that are not JSON objects with a StatusTime are kept (in the object being
written) so that tests can plant bad records; they take the current offset."""
import argparse
import gzip
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from check_records import murmur2  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--topic", default="wildrydes")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--per-object", type=int, default=5000)
    ap.add_argument("--by-event-hour", action="store_true")
    args = ap.parse_args()
    offsets = [0] * args.partitions
    open_objs = {}  # partition (or (partition, hour)) -> [hour key, first offset, lines]

    def flush(k):
        hour, first, lines = open_objs.pop(k)
        p = k[0] if isinstance(k, tuple) else k
        y, mo, d, h = hour
        path = os.path.join(args.root, args.topic, f"year={y}", f"month={mo}", f"day={d}", f"hour={h}")
        os.makedirs(path, exist_ok=True)
        name = f"{args.topic}+{p}+{first:020d}.ndjson.gz"
        with gzip.open(os.path.join(path, name), "wt") as f:
            f.writelines(lines)

    last_p = 0
    for line in sys.stdin:
        try:
            rec = json.loads(line)
            t = rec["StatusTime"]
            p = (murmur2(rec["Name"].encode()) & 0x7FFFFFFF) % args.partitions
            hour = (t[0:4], t[5:7], t[8:10], t[11:13])
        except Exception:
            p = last_p
            hour = open_objs[p][0] if p in open_objs else ("1970", "01", "01", "00")
        last_p = p
        if args.by_event_hour:
            k = (p, hour)
            obj = open_objs.get(k)
            if obj and len(obj[2]) >= args.per_object:
                flush(k)
                obj = None
            if not obj:
                obj = open_objs[k] = [hour, offsets[p], []]
            obj[2].append(line if line.endswith("\n") else line + "\n")
            offsets[p] += 1
            continue
        obj = open_objs.get(p)
        # Rotate by size, or by age: a new hour starts a new object only
        # every other hour, so some objects straddle an hour boundary.
        if obj and (len(obj[2]) >= args.per_object or (hour != obj[0] and int(hour[3]) % 2 == 0)):
            flush(p)
            obj = None
        if not obj:
            obj = open_objs[p] = [hour, offsets[p], []]
        obj[2].append(line if line.endswith("\n") else line + "\n")
        offsets[p] += 1
    for k in list(open_objs):
        flush(k)
    if args.by_event_hour:
        os.makedirs(os.path.join(args.root, args.topic), exist_ok=True)
        with open(os.path.join(args.root, args.topic, "_rydeflow_partitioned_by_event_time"), "w") as f:
            f.write("objects under hour=HH hold only events whose event time is in that hour\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
