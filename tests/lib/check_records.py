#!/usr/bin/env python3
"""check_records.py - independent checks of what `consumer --show key,partition`
printed: every record is exactly the workshop's shape, its key is its Name,
and its partition is the one Kafka's Java client would choose for that key
(murmur2, as in org.apache.kafka.common.utils.Utils.murmur2).

usage: check_records.py PARTITIONS < envelopes.ndjson
Prints one line per problem and a final "checked N records" line; exits 1 on
any problem."""
import json
import re
import sys

TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")
FIELDS = {"Name": str, "StatusTime": str, "Latitude": float, "Longitude": float,
          "Distance": (int, float), "MagicPoints": int, "HealthPoints": int}


def murmur2(data: bytes) -> int:
    m, r = 0x5BD1E995, 24
    length = len(data)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = length % 4
    base = length - tail
    if tail == 3:
        h ^= data[base + 2] << 16
    if tail >= 2:
        h ^= data[base + 1] << 8
    if tail >= 1:
        h ^= data[base]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def main() -> int:
    partitions = int(sys.argv[1])
    problems = 0
    n = 0
    for line in sys.stdin:
        n += 1
        env = json.loads(line)
        v = env["value"]
        if set(v) != set(FIELDS):
            problems += 1
            print(f"record {n}: fields {sorted(v)}")
            continue
        for name, typ in FIELDS.items():
            if not isinstance(v[name], typ) or isinstance(v[name], bool):
                problems += 1
                print(f"record {n}: {name} has type {type(v[name]).__name__}")
        if not TIME.match(v["StatusTime"]):
            problems += 1
            print(f"record {n}: StatusTime {v['StatusTime']!r}")
        if env["key"] != v["Name"]:
            problems += 1
            print(f"record {n}: key {env['key']!r} != Name {v['Name']!r}")
        want = (murmur2(env["key"].encode()) & 0x7FFFFFFF) % partitions
        if env["partition"] != want:
            problems += 1
            print(f"record {n}: key {env['key']!r} on partition {env['partition']}, Java client: {want}")
    print(f"checked {n} records, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
