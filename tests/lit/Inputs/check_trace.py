#!/usr/bin/env python3
"""Checks a Chrome trace of popt-run --trace (against the run's --metrics)
or of popt-compile --trace (against its --report) and prints a summary for
FileCheck: the tracks, every op traced once, slices inside the call and
without overlap per track; for a run, each wait right before the op it
precedes and the call near the recorded median; for a prediction, the
last slice ending at the predicted time.

Usage: check_trace.py TRACE.json (--metrics METRICS.json | --report REPORT.json)
"""
import json
import sys

trace = json.load(open(sys.argv[1]))
kind, other = sys.argv[2], json.load(open(sys.argv[3]))
events = trace["traceEvents"]
names = {e["tid"]: e["args"]["name"] for e in events if e.get("name") == "thread_name"}
print("tracks:", " ".join(names[t] for t in sorted(names)))
ops = [e for e in events if e.get("cat") == "op"]
waits = [e for e in events if e.get("cat") == "wait"]
transfers = [e for e in events if e.get("cat") == "transfer"]
def op_index(e):
    return e["args"]["op"] if "op" in e["args"] else e["args"]["report op"]


seen = sorted(op_index(e) for e in ops)
assert seen == sorted(set(seen)), "an op traced twice"
total = len(other["ops"])
print(f"ops traced: {len(seen)} of {total}")
slices = ops + waits + transfers
end_us = max((e["ts"] + e["dur"] for e in slices), default=0)
for e in slices:
    assert e["ph"] == "X" and e["tid"] in names, e
    assert e["ts"] >= 0 and e["dur"] >= 0, e
for tid in sorted(names):
    track = sorted((e for e in slices if e["tid"] == tid), key=lambda e: e["ts"])
    for a, b in zip(track, track[1:]):
        assert a["ts"] + a["dur"] <= b["ts"] + 0.01, ("overlapping slices", a, b)
if kind == "--metrics":
    call_us = trace["otherData"]["call_seconds"] * 1e6
    assert end_us <= call_us + 1, ("a slice past the call", end_us, call_us)
    by_op = {e["args"]["op"]: e for e in ops}
    for w in waits:
        op = by_op[w["args"]["before op"]]
        assert op["tid"] == w["tid"] and abs(w["ts"] + w["dur"] - op["ts"]) < 1, (w, op)
    print("waits:", "none" if not waits else "before " + ", ".join(
        by_op[w["args"]["before op"]]["name"] for w in sorted(waits, key=lambda w: w["ts"])))
    median = trace["otherData"]["median_call_seconds"]
    assert median == other["median_execution_time"], (median, other["median_execution_time"])
    print("call near the median:", abs(trace["otherData"]["call_seconds"] - median) <= 0.5 * median)
else:
    predicted = other["predicted_execution_time"]
    assert trace["otherData"]["predicted_call_seconds"] == predicted
    print("slices on link tracks:", sum("->" in names[e["tid"]] for e in slices))
    print("ends at the predicted time:", abs(end_us - predicted * 1e6) < 1e-3)
