#!/usr/bin/env python3
"""merged_truth.py - an independent reference for a repartitioned stream.

The processor runs a query whose GROUP BY lacks the source's key on an
internal topic that every source partition feeds. This model reads that
topic as it was committed (`consumer --show partition,offset,headers`),
applies the semantics docs/architecture.md describes - each record's
rydeflow-wm header says "<source partition> <partitions> <high mark|idle>";
a merged partition's watermark base is the least high mark of the sources
that are not idle (none while one is unheard of), and only grows; a window
closes when base - GRACE reaches its end; an event whose window closed is
late - and compares with what the processor produced.

    merged_truth.py SOURCE INTERNAL RESULTS LATE [STREAM [WINDOW_FIELD]]

SOURCE: the source topic (`--show partition,offset`); INTERNAL: the internal
topic; RESULTS: the stream's output topic (values); LATE: the late topic
(values). The stream is
    SELECT WINDOW_START AS Minute, COUNT(*) AS Reports, SUM(Distance) AS Distance
    FROM ... WINDOW TUMBLING (SIZE 1 MINUTE, GRACE 5 SECONDS)
named STREAM ("fleet" unless given), its window start in WINDOW_FIELD
("Minute" unless given; processor/wildrydes.sql's fleet_minute calls it
StatusTime).
Prints "ok <what>" or "FAIL <what>: <detail>" per check; exits 1 on a failure.
"""
import collections, json, math, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stream_truth import fmt, ms  # the event-time text <-> ms, shared

SIZE, GRACE = 60000, 5000


def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def model(internal):
    """Expected {window start: [distances]} and the late (partition, offset) set. Windows
    still open at the end are there too; the caller compares the ones the sentinels closed."""
    parts = collections.defaultdict(list)
    for r in internal:
        parts[r["partition"]].append(r)
    windows = collections.defaultdict(list)
    late = set()
    for p, recs in parts.items():
        recs.sort(key=lambda r: r["offset"])
        heard, base, closed = {}, None, None  # source -> high mark or "idle"
        for r in recs:
            src, n, mark = r["headers"]["rydeflow-wm"].split()
            src, n = int(src), int(n)
            if mark == "idle":
                heard.setdefault(src, "idle")
            else:
                old = heard.get(src)
                if old is None or old == "idle" or int(mark) > old:
                    heard[src] = int(mark)
            if len(heard) == n:
                known = [v for v in heard.values() if v != "idle"]
                if known and (base is None or min(known) > base):
                    base = min(known)
            ev = r["value"]
            if ev is not None:
                t = ms(ev["StatusTime"])
                start = t // SIZE * SIZE
                if closed is not None and start + SIZE <= closed:
                    late.add((p, r["offset"]))
                else:
                    windows[start].append(ev["Distance"])
            if base is not None and (closed is None or base - GRACE > closed):
                closed = base - GRACE
    return windows, late


def main():
    source, internal, results, late_out = (lines(p) for p in sys.argv[1:5])
    stream = sys.argv[5] if len(sys.argv) > 5 else "fleet"
    field = sys.argv[6] if len(sys.argv) > 6 else "Minute"
    failed = 0

    def report(ok, what, detail=""):
        nonlocal failed
        print(("ok " if ok else "FAIL ") + what + ("" if ok else ": " + detail))
        failed += not ok

    # 1. Every source event went to the internal topic exactly once.
    want = collections.Counter(json.dumps(e["value"], sort_keys=True) for e in source)
    got = collections.Counter(json.dumps(r["value"], sort_keys=True) for r in internal if r["value"] is not None)
    report(want == got, "the internal topic holds each source event exactly once (%d)" % sum(got.values()),
           "%d missing, %d extra" % (sum((want - got).values()), sum((got - want).values())))
    markers = sum(1 for r in internal if r["value"] is None)
    report(markers > 0, "sources told the merged partitions their event time (%d markers)" % markers)

    # 2. Results: each closed window once, values as the model's.
    windows, late = model(internal)
    real = {s: v for s, v in windows.items() if fmt(s) < "2026-11-23"}  # not the sentinels' day
    seen = collections.Counter(r[field] for r in results)
    report(all(c == 1 for c in seen.values()), "each window emitted once (EMIT FINAL)",
           str([k for k, c in seen.items() if c > 1][:5]))
    out = {r[field]: r for r in results}
    bad = []
    for s, ds in sorted(real.items()):
        r = out.get(fmt(s))
        if r is None or r["Reports"] != len(ds) or not math.isclose(r["Distance"], math.fsum(ds), rel_tol=1e-9):
            bad.append((fmt(s), len(ds), r))
    report(not bad and len(out) == len(real), "results equal the model's, value for value (%d windows)" % len(real),
           "%d differ, e.g. %s; %d results vs %d windows" % (len(bad), bad[:2], len(out), len(real)))

    # 3. Late events: exactly the model's, once each.
    got_late = [(e["partition"], e["offset"]) for e in late_out if e.get("stream") == stream]
    report(len(got_late) == len(set(got_late)), "each late event reported once (%d)" % len(got_late))
    report(set(got_late) == late, "late events are the model's (%d)" % len(late),
           "%d missing, %d extra" % (len(late - set(got_late)), len(set(got_late) - late)))
    total = sum(len(ds) for ds in real.values()) + len(late)
    sent = sum(1 for e in source if not e["value"]["Name"].startswith("sentinel"))
    report(total == sent, "every event is in a result or on the late topic (%d of %d)" % (total, sent))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
