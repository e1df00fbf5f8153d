#!/usr/bin/env python3
"""stream_truth.py - an independent reference for the processor's results.

Reads the source events as `consumer --show partition,offset` printed them
(JSON lines), replays each partition in offset order with the semantics
docs/sql.md describes (per-partition watermark = largest event time - GRACE;
a TUMBLING/HOPPING window closes when the watermark reaches its end; a
SESSION closes when the watermark passes its last event + gap; an event whose
window closed is late; a SESSION event behind the watermark is late), and
compares with the output topics.

    stream_truth.py [--shipped|--kda] EVENTS OUTDIR

--shipped: the per-unicorn streams of processor/wildrydes.sql (SHIPPED below)
instead of the test queries' (STREAMS); --kda: the workshop's Kinesis
Analytics application, processor/kda/workshop.sql (KDA).

OUTDIR holds one file per stream, <stream>.jsonl, as `consumer --show key`
printed the stream's topic, and late.jsonl (the late topic). Prints one line
per check: "ok <what>" or "FAIL <what>: <detail>", and exits 1 on a failure.
Only windows that closed are compared (the test ends its input with sentinel
events far in the future so that every real window closes).
"""
import json, math, sys, datetime, collections

def ms(text):
    d = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
    return int(round(d.timestamp() * 1000))

def fmt(t):
    d = datetime.datetime.fromtimestamp(t / 1000, tz=datetime.timezone.utc)
    return d.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (t % 1000)

def fsum(evs, f):
    return math.fsum(e[f] for e in evs)

def first(evs, f):  # FIRST(f): at the earliest event time; on equal times the row read first
    return min(evs, key=lambda e: (e["_ts"], e["_off"]))[f]

def last(evs, f):   # LAST(f): at the latest event time; on equal times the row read first
    return min(evs, key=lambda e: (-e["_ts"], e["_off"]))[f]

def minute_summary(evs, ws, we):  # the workshop's per-unicorn minute
    return {"Name": evs[0]["Name"], "StatusTime": fmt(ws), "Distance": fsum(evs, "Distance"),
            "MinMagicPoints": min(e["MagicPoints"] for e in evs), "MaxMagicPoints": max(e["MagicPoints"] for e in evs),
            "MinHealthPoints": min(e["HealthPoints"] for e in evs), "MaxHealthPoints": max(e["HealthPoints"] for e in evs)}

def having(low, row):
    return row if row["MinHealthPoints" if "MinHealthPoints" in row else "low"] < low else None

# The streams of tests/integration/13_processor_windows.sh and 14_processor_exactly_once.sh:
# window kind, size, advance, grace, EMIT FINAL, the window's field, the row.
STREAMS = {
    "summary":  dict(kind="tumbling", size=60000, adv=60000, grace=5000, final=True, winkey="StatusTime",
                     agg=minute_summary),
    "hopping":  dict(kind="hopping", size=120000, adv=30000, grace=2000, final=True, winkey="WINDOW_START",
                     agg=lambda evs, ws, we: having(148, {"Name": evs[0]["Name"], "WINDOW_START": fmt(ws),
                         "WINDOW_END": fmt(we), "n": len(evs), "low": min(e["HealthPoints"] for e in evs)})),
    "sessions": dict(kind="session", size=20000, adv=0, grace=3000, final=True, winkey="RideStart",
                     agg=lambda evs, ws, we: {"Name": evs[0]["Name"], "RideStart": fmt(ws), "RideEnd": fmt(we),
                         "n": len(evs), "d": fsum(evs, "Distance")}),
    "changes":  dict(kind="tumbling", size=30000, adv=30000, grace=0, final=False, winkey="w",
                     agg=lambda evs, ws, we: {"Name": evs[0]["Name"], "w": fmt(ws), "n": len(evs)}),
}

# The per-unicorn streams of the shipped processor/wildrydes.sql (--shipped).
SHIPPED = {
    "wildrydes_summary": dict(kind="tumbling", size=60000, adv=60000, grace=5000, final=True, winkey="StatusTime",
                              agg=minute_summary),
    "low_health": dict(kind="hopping", size=300000, adv=60000, grace=5000, final=True, winkey="WindowStart",
                       agg=lambda evs, ws, we: having(100, {"Name": evs[0]["Name"], "WindowStart": fmt(ws),
                           "WindowEnd": fmt(we), "MinHealthPoints": min(e["HealthPoints"] for e in evs),
                           "HealthPoints": last(evs, "HealthPoints"), "Reports": len(evs)})),
    "rides": dict(kind="session", size=30000, adv=0, grace=5000, final=True, winkey="RideStart",
                  agg=lambda evs, ws, we: {"Name": evs[0]["Name"], "RideStart": fmt(ws), "RideEnd": fmt(we),
                      "Reports": len(evs), "Distance": fsum(evs, "Distance"),
                      "StartLatitude": first(evs, "Latitude"), "StartLongitude": first(evs, "Longitude"),
                      "EndLatitude": last(evs, "Latitude"), "EndLongitude": last(evs, "Longitude")}),
    "live_minute": dict(kind="tumbling", size=60000, adv=60000, grace=5000, final=False, winkey="StatusTime",
                        agg=lambda evs, ws, we: {"Name": evs[0]["Name"], "StatusTime": fmt(ws), "Reports": len(evs),
                            "Distance": fsum(evs, "Distance"), "MinHealthPoints": min(e["HealthPoints"] for e in evs)}),
}

def half_away(x):  # a Kinesis Analytics pump rounds into an integer column half away from zero
    return int(math.copysign(math.floor(abs(x) + 0.5), x))

# The workshop's Kinesis Analytics application (processor/kda/workshop.sql), run
# with --grace 5s (--kda): its only pump, STREAM_PUMP. ROWTIME, written into
# StatusTime, is the window's end; SUM(Distance) is rounded into a SMALLINT.
KDA = {
    "STREAM_PUMP": dict(kind="tumbling", size=60000, adv=60000, grace=5000, final=True, winkey="StatusTime",
                        winkey_shift=60000,
                        agg=lambda evs, ws, we: {"Name": evs[0]["Name"], "StatusTime": fmt(we),
                            "Distance": half_away(fsum(evs, "Distance")),
                            "MinMagicPoints": min(e["MagicPoints"] for e in evs),
                            "MaxMagicPoints": max(e["MagicPoints"] for e in evs),
                            "MinHealthPoints": min(e["HealthPoints"] for e in evs),
                            "MaxHealthPoints": max(e["HealthPoints"] for e in evs)}),
}

def aggregate(streams, name, evs, ws, we):
    return streams[name]["agg"](evs, ws, we)

def run(events, STREAMS=STREAMS):
    """Expected rows per stream: {(Name, window start): row}; expected late (stream, partition, offset) set."""
    parts = collections.defaultdict(list)
    for e in events:
        parts[e["partition"]].append(e)
    expected = {s: {} for s in STREAMS}
    late = set()
    for p, evs in parts.items():
        evs.sort(key=lambda e: e["offset"])
        for s, spec in STREAMS.items():
            closed = -(1 << 62)
            max_ts = None
            wins = {}      # (name, start) -> events   (tumbling/hopping)
            sess = collections.defaultdict(list)  # name -> [[start, end, events]] sorted
            for e in evs:
                v = e["value"]
                try:
                    ts = ms(v["StatusTime"]); name = v["Name"]
                except (TypeError, KeyError, ValueError):
                    continue  # a malformed record: dead-lettered, in no window
                v = dict(v, _ts=ts, _off=e["offset"])
                if spec["kind"] == "session":
                    if ts < closed:
                        late.add((s, p, e["offset"]))
                    else:
                        lst = sess[name]; gap = spec["size"]
                        touching = [x for x in lst if x[0] - gap <= ts <= x[1] + gap]
                        merged = [min([ts] + [x[0] for x in touching]), max([ts] + [x[1] for x in touching]),
                                  sum((x[2] for x in touching), []) + [v]]
                        lst[:] = sorted([x for x in lst if x not in touching] + [merged], key=lambda x: x[0])
                else:
                    start = ts - ts % spec["adv"]
                    missed = False
                    while start > ts - spec["size"]:
                        if start + spec["size"] <= closed:
                            missed = True
                        else:
                            wins.setdefault((name, start), []).append(v)
                        start -= spec["adv"]
                    if missed:
                        late.add((s, p, e["offset"]))
                max_ts = ts if max_ts is None else max(max_ts, ts)
                wm = max_ts - spec["grace"]
                if wm > closed:
                    closed = wm
                    if spec["kind"] == "session":
                        for name_, lst in sess.items():
                            keep = []
                            for x in lst:
                                if x[1] + spec["size"] < closed:
                                    row = aggregate(STREAMS, s, x[2], x[0], x[1])
                                    if row: expected[s][(name_, fmt(x[0]))] = row
                                else:
                                    keep.append(x)
                            lst[:] = keep
                    else:
                        for k in [k for k in wins if k[1] + spec["size"] <= closed]:
                            row = aggregate(STREAMS, s, wins.pop(k), k[1], k[1] + spec["size"])
                            if row: expected[s][(k[0], fmt(k[1]))] = row
    return expected, late

def close(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b

def main():
    args = sys.argv[1:]
    STREAMS_ = {"--shipped": SHIPPED, "--kda": KDA}.get(args[0], STREAMS)
    if args[0] in ("--shipped", "--kda"):
        args = args[1:]
    events = [json.loads(l) for l in open(args[0])]
    outdir = args[1]
    expected, late = run(events, STREAMS_)
    failed = 0
    def report(ok, what, detail=""):
        nonlocal failed
        print(("ok " if ok else "FAIL ") + what + ("" if ok else ": " + detail))
        failed += not ok
    present = set()
    for s, spec in STREAMS_.items():
        try:
            lines = [json.loads(l) for l in open(f"{outdir}/{s}.jsonl")]
        except FileNotFoundError:
            continue
        present.add(s)
        winkey = spec["winkey"]
        latest, count = {}, collections.Counter()
        for l in lines:
            v = l["value"]; k = (v["Name"], v[winkey])
            if spec.get("winkey_shift"):  # the row names its window by the end
                k = (v["Name"], fmt(ms(v[winkey]) - spec["winkey_shift"]))
            if not spec["final"] and v["Name"].startswith("sentinel-"):
                continue  # EMIT CHANGES also shows the sentinels' windows, which never close
            latest[k] = v; count[k] += 1
            if l.get("key") != v["Name"]:
                report(False, f"{s}: message key is the Name", f"{l.get('key')!r} for {v['Name']!r}"); break
        exp = expected[s]
        report(len(exp) > 0, f"{s}: the reference has closed windows ({len(exp)})")
        missing = [k for k in exp if k not in latest]
        extra = [k for k in latest if k not in exp]
        report(not missing, f"{s}: every expected window is in the output ({len(exp)})", f"{len(missing)} missing, e.g. {missing[:3]}")
        report(not extra, f"{s}: no unexpected window in the output ({len(latest)})", f"{len(extra)} extra, e.g. {extra[:3]}")
        wrong = [k for k in exp if k in latest and not all(close(exp[k][f], latest[k].get(f)) for f in exp[k])]
        report(not wrong, f"{s}: every window's values equal the reference", f"{len(wrong)} differ, e.g. {[(exp[k], latest[k]) for k in wrong[:2]]}")
        if spec["final"]:
            dups = [k for k, n in count.items() if n > 1]
            report(not dups, f"{s}: EMIT FINAL emitted each window once ({len(lines)} records)", f"{len(dups)} twice or more, e.g. {dups[:3]}")
    try:
        got = set()
        for l in open(f"{outdir}/late.jsonl"):
            v = json.loads(l)["value"]
            if v["stream"] in STREAMS_:  # a repartitioned stream's are another model's
                got.add((v["stream"], v["partition"], v["offset"]))
        want = {x for x in late if x[0] in present}
        report(got == want, f"late events: exactly the reference's ({len(want)})",
               f"{len(want - got)} missing, {len(got - want)} unexpected, e.g. {sorted(want ^ got)[:3]}")
    except FileNotFoundError:
        pass
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
