"""latency.py - in `make bench`: how long after a window closes its result
is readable on the output topic.

A window [start, end) of a query with no GRACE closes when its partition
delivers the first event whose event time is >= end. Reads the processor's
output (read_committed: a result counts once its transaction committed) for
SECONDS after it says "ready" on stderr, noting when each result arrives; then reads the input topic and
finds, for each result, the Kafka timestamp of the first event at or past
the window's end in the result's partition. The bench creates the input
topic with log-append time, so that timestamp is when the broker appended
the closing event (the producer's own batching before it is not counted).
Latency = arrival - that timestamp: the closing event's fetch, the
processor, the commit and the trip of the result. Prints "<results> <p50 ms>
<p99 ms> <first window's p50 ms>", the first three without the first window.

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
# Assigned at each partition's end, not subscribed: no group join to wait
# for. "ready" on stderr (the bench starts the fleet then) once the output
# topic (the processor creates it) is assigned.
deadline = time.monotonic() + 30
while not (parts := c.list_topics(out, timeout=10).topics[out].partitions) and time.monotonic() < deadline:
    time.sleep(0.1)
c.assign([TopicPartition(out, p, c.get_watermark_offsets(TopicPartition(out, p), timeout=10)[1]) for p in parts])
print("ready", file=sys.stderr, flush=True)
arrivals, end = [], time.monotonic() + secs
raw = []
while time.monotonic() < end:
    # What is there now, without waiting (consume(n, timeout) would wait for
    # n messages up to its timeout, and the wait would count as latency);
    # when nothing is, block for the next one.
    batch = c.consume(1000, 0)
    if not batch:
        m = c.poll(0.05)
        batch = [m] if m is not None else []
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

# The first window apart: its commit is the new consumer group's first
# offset commit, which the broker takes tens of milliseconds longer over
# (once per group, not per window). Reported on its own.
first_end = min((wend for _, wend, _ in arrivals), default=None)
lat, first = [], []
for name, wend, arrived in arrivals:
    times, suffix = first_at[part_of[name]]
    i = bisect.bisect_left(times, wend)
    if i < len(times):
        (first if wend == first_end else lat).append(arrived - suffix[i])
lat.sort()
first.sort()
def pct(v, q):
    return f"{v[min(len(v) - 1, int(len(v) * q))]:.1f}" if v else "nan"
print(len(lat), pct(lat, 0.5), pct(lat, 0.99), pct(first, 0.5))
