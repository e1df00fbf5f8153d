"""py_summary.py - the peer for the processor in `make bench`: the workshop's
per-minute summary written the way a data scientist would, with
confluent-kafka for Python: read the topic to its end, json.loads each
record, keep per (Name, minute) the sum of Distance and the min/max of the
points in a dict. Prints "<events> <windows> <seconds>".

usage: python py_summary.py BROKERS TOPIC PARTITIONS
"""
import json, sys, time
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

brokers, topic, parts = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Consumer({"bootstrap.servers": brokers, "group.id": "py-summary", "enable.auto.commit": False,
              "enable.partition.eof": True, "fetch.wait.max.ms": 100})
t0 = time.monotonic()
c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(parts)])
state, events, eof = {}, 0, 0
while eof < parts:
    for m in c.consume(10000, 1.0):
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                eof += 1
            continue
        e = json.loads(m.value())
        k = (e["Name"], e["StatusTime"][:16])
        s = state.get(k)
        if s is None:
            state[k] = [e["Distance"], e["MagicPoints"], e["MagicPoints"], e["HealthPoints"], e["HealthPoints"]]
        else:
            s[0] += e["Distance"]
            s[1] = min(s[1], e["MagicPoints"]); s[2] = max(s[2], e["MagicPoints"])
            s[3] = min(s[3], e["HealthPoints"]); s[4] = max(s[4], e["HealthPoints"])
        events += 1
out = [json.dumps({"Name": k[0], "StatusTime": k[1] + ":00.000", "Distance": v[0], "MinMagicPoints": v[1],
                   "MaxMagicPoints": v[2], "MinHealthPoints": v[3], "MaxHealthPoints": v[4]}) for k, v in state.items()]
print(events, len(out), f"{time.monotonic() - t0:.3f}")
c.close()
