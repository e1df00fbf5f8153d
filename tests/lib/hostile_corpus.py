"""hostile_corpus.py - the hostile corpus of test 24, and what each program
must make of it.

    python3 hostile_corpus.py DIR

writes DIR/corpus.ndjson (for `producer --input`: lines of every kind, some
not JSON, some not UTF-8, one with a NUL byte, one of 1.2 MB), DIR/direct-N.bin (records
written straight to the topic, as any other producer might: raw bytes and a
1 MB record), and DIR/expect.json: how many records each program must
process and dead-letter, the (Name, minute) pairs of the summaries, and the
names Redis must hold."""
import json
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

def event(name, t, dist=30.0, magic=150, health=150):
    return json.dumps({"Name": name, "StatusTime": t, "Latitude": 40.75, "Longitude": -73.98,
                       "Distance": dist, "MagicPoints": magic, "HealthPoints": health},
                      ensure_ascii=False).encode()

NAMES = ["Unicorn-%02d" % i for i in range(8)] + [
    "X", "X:minutes", "{brace}", 'quote"d', "new\nline", "tab\there", "emoji \U0001F984", "100%_pure",
    "back\\slash", "#7", "#x"]
lines = []       # (bytes, kind): kind "ok" processed, "producer" dead-lettered by the producer,
                 # "guard" forwarded then dead-lettered by the processor and the archive
pairs = set()
ok_events = 0
for s in range(0, 180, 10):  # three minutes, an event every 10 s, in time order
    for name in NAMES:
        t = "2026-11-22 07:%02d:%02d.000" % (s // 60, s % 60)
        lines.append((event(name, t, 29.5 + s / 100), "ok"))
        pairs.add((name, "2026-11-22 07:%02d:00.000" % (s // 60)))
        ok_events += 1
bad = [
    b"not json {",
    b'{"Name":42,"StatusTime":"2026-11-22 07:00:00.000"}',
    b'{"Name":"WrongType","StatusTime":"2026-11-22 07:00:00.000","Distance":"far"}',
    b'{"Name":"NoTime","Distance":1}',
    b'{"Name":"Nul\x00Byte","StatusTime":"2026-11-22 07:00:00.000"}',
    b'{"Name":"\xff\xfe not utf-8","StatusTime":"2026-11-22 07:00:00.000"}',
    b'{"Name":"Bad","StatusTime":"2026-13-45 99:00:00.000"}',
    b'[1,2,3]',
    # a workshop record of 1.2 MB: more than Kafka takes
    event("Huge", "2026-11-22 07:00:00.000")[:-1] + b', "pad": "' + b"p" * 1200000 + b'"}',
]
for b in bad:
    lines.append((b, "producer"))
for t in ["2099-12-31 23:59:59.000", "1969-12-31 23:59:59.000"]:
    lines.append((event("Clockwork", t), "guard"))
# interleave the bad ones among the good (a fixed order)
ordered = []
good = [l for l in lines if l[1] == "ok"]
rest = [l for l in lines if l[1] != "ok"]
step = len(good) // (len(rest) + 1)
for i, l in enumerate(good):
    ordered.append(l)
    if rest and (i + 1) % step == 0:
        ordered.append(rest.pop(0))
ordered += rest
with open(os.path.join(out, "corpus.ndjson"), "wb") as f:
    for b, _ in ordered:
        f.write(b + b"\n")

direct = [b"garbage \x00\xff\xfe bytes\n{", b'{"Name":"Big","pad":"' + b"a" * 999960 + b'"}']
for i, d in enumerate(direct):
    with open(os.path.join(out, "direct-%d.bin" % i), "wb") as f:
        f.write(d)

n_producer = sum(1 for _, k in ordered if k == "producer")
n_guard = sum(1 for _, k in ordered if k == "guard")
casts = {n for n in NAMES if n.startswith("#")}
json.dump({
    "lines": len(ordered),
    "sent": ok_events + n_guard,                  # what the producer forwards
    "producer_dead": n_producer,
    "topic_records": ok_events + n_guard + len(direct),
    "processor_decode_dead": n_guard + len(direct),
    "processor_query_dead": 18,                   # every event of "#x": CAST fails
    "ids": 18,                                    # every event of "#7"
    "archive_dead": n_guard + len(direct),
    "archived": ok_events,
    "summaries": len(pairs),
    "names": sorted(NAMES),
}, open(os.path.join(out, "expect.json"), "w"), ensure_ascii=False)
