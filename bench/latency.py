"""latency.py - in `make bench`: how long after a window closes its result
is readable on the output topic.

A window [start, end) of a query with no GRACE closes when its partition
delivers the first event whose event time is >= end. Reads the processor's
output (read_committed: a result counts once its transaction committed) for
SECONDS, noting when each result arrives; then reads the input topic and
finds, for each result, the Kafka timestamp (create time) of the first event
at or past the window's end in the result's partition. Latency = arrival -
that timestamp: the closing event's trip through Kafka, the processor, the
commit and the trip of the result. Prints "<results> <p50 ms> <p99 ms>".

usage: python latency.py BROKERS INPUT_TOPIC OUTPUT_TOPIC SECONDS
"""
import bisect, collections, datetime, json, sys, time
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

brokers, src, out, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

def ms(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000

c = Consumer({"bootstrap.servers": brokers, "group.id": f"latency-{time.time()}", "auto.offset.reset": "latest",
              "isolation.level": "read_committed", "fetch.wait.max.ms": 5})
c.subscribe([out])
arrivals, end = [], time.monotonic() + secs
raw = []
while time.monotonic() < end:
    batch = c.consume(1000, 0.05)
    now = time.time() * 1000  # taken at once: parsing comes after the run, so Python's speed does not count
    raw.extend((m.value(), now) for m in batch if not m.error())
c.close()
for value, now in raw:
    v = json.loads(value)
    arrivals.append((v["Name"], ms(v["WindowEnd"]), now))

# The input: per partition, events by event time with their create time.
c = Consumer({"bootstrap.servers": brokers, "group.id": f"latency-in-{time.time()}", "enable.partition.eof": True})
md = c.list_topics(src, timeout=10).topics[src].partitions
c.assign([TopicPartition(src, p, OFFSET_BEGINNING) for p in md])
part_of, events, eof = {}, collections.defaultdict(list), 0
while eof < len(md):
    for m in c.consume(10000, 1.0):
        if m.error():
            eof += m.error().code() == -191
            continue
        v = json.loads(m.value())
        part_of[v["Name"]] = m.partition()
        events[m.partition()].append((ms(v["StatusTime"]), m.timestamp()[1]))
c.close()
first_at = {}  # partition -> (event times ascending, min create time of events at or after each)
for p, evs in events.items():
    evs.sort()
    suffix, best = [0.0] * len(evs), float("inf")
    for i in range(len(evs) - 1, -1, -1):
        best = min(best, evs[i][1])
        suffix[i] = best
    first_at[p] = ([e[0] for e in evs], suffix)

lat = []
for name, wend, arrived in arrivals:
    times, suffix = first_at[part_of[name]]
    i = bisect.bisect_left(times, wend)
    if i < len(times):
        lat.append(arrived - suffix[i])
lat.sort()
if not lat:
    print(0, "nan", "nan")
else:
    print(len(lat), f"{lat[len(lat) // 2]:.1f}", f"{lat[min(len(lat) - 1, int(len(lat) * 0.99))]:.1f}")
