"""compare_summary.py - `make bench` checks that rydeflow and its peers
computed the same rows before it prints their ratio.

Reads each output topic to its end (read_committed), keys its rows by
(Name, StatusTime) and compares the windows every system must have closed:
those that end at least GRACE + 5 s before the input's last event time (a
bounded Flink job also emits the windows still open at the end of its input;
those are counted apart, not compared). Values are compared as numbers
(Distance to 1e-9 relative: Java and C print doubles differently).

Prints one line per topic, "TOPIC rows=N compared=M", then "equal M" and
exits 0, or prints the first differences and exits 1.

usage: python compare_summary.py BROKERS LAST_EVENT_TIME GRACE_S TOPIC [TOPIC...]
"""
import datetime, json, math, sys
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

FMT = "%Y-%m-%d %H:%M:%S.%f"


def ms(text):
    dt = datetime.datetime.strptime(text, FMT).replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp() * 1000)


def read(brokers, topic):
    c = Consumer({"bootstrap.servers": brokers, "group.id": "bench-compare", "enable.auto.commit": False,
                  "enable.partition.eof": True, "isolation.level": "read_committed"})
    parts = len(c.list_topics(topic, timeout=10).topics[topic].partitions)
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(parts)])
    rows, eof = {}, 0
    while eof < parts:
        for m in c.consume(10000, 5.0):
            if m.error():
                if m.error().code() == -191:  # _PARTITION_EOF
                    eof += 1
                continue
            r = json.loads(m.value())
            rows[(r["Name"], r["StatusTime"])] = r
    c.close()
    return rows


def same(a, b):
    for k in ("Distance", "MinMagicPoints", "MaxMagicPoints", "MinHealthPoints", "MaxHealthPoints"):
        x, y = float(a[k]), float(b[k])
        if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
            return False
    return True


def main():
    brokers, last, grace, topics = sys.argv[1], ms(sys.argv[2]), int(sys.argv[3]) * 1000, sys.argv[4:]
    closed = lambda key: ms(key[1]) + 60000 + grace + 5000 <= last
    sets = []
    for t in topics:
        rows = read(brokers, t)
        keep = {k: v for k, v in rows.items() if closed(k)}
        print(f"{t} rows={len(rows)} compared={len(keep)}")
        sets.append((t, keep))
    base_t, base = sets[0]
    bad = 0
    for t, rows in sets[1:]:
        for k in sorted(set(base) | set(rows)):
            if k not in rows or k not in base or not same(base[k], rows[k]):
                bad += 1
                if bad <= 5:
                    print(f"differ {k}: {base_t}={base.get(k)} {t}={rows.get(k)}")
    if bad or not base:
        print(f"different {bad}")
        sys.exit(1)
    print(f"equal {len(base)}")


main()
