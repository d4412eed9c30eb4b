#!/usr/bin/env python3
"""Profiles taken back to back, on a quiet machine and under load.

Usage: bench_profile_load.py BUILD_DIR [--quiet N] [--loaded N] [--period S] [--full]
                             [--keep-low]

For each run, popt-profile --quick (--full: the full profile) measures this
machine into a fresh cache; a kept profile then predicts ResNet-18 (batch 1,
224x224) with popt-compile --report. "Loaded" runs have another process
keep one core busy half the time (busy S/2 seconds, idle S/2, default
S = 1). The target (docs/performance.md): the loaded profiles' ResNet-18
predictions lie within 25% of each other, or popt-profile refuses them with
a message; quiet profiles are kept (not refused) and agree as closely.
--keep-low passes --keep-low-confidence, to see what the refused profiles
would have predicted (how far the rounds alone steady them).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1]
ARGS = sys.argv[2:]


def arg(name, default):
    return type(default)(ARGS[ARGS.index(name) + 1]) if name in ARGS else default


QUIET, LOADED, PERIOD = arg("--quiet", 3), arg("--loaded", 10), arg("--period", 1.0)
FULL = "--full" in ARGS
KEEP_LOW = "--keep-low" in ARGS
BIN = os.path.join(BUILD, "bin")
MODEL = os.path.join(BUILD, "models", "resnet18.script.pt")

# One core busy half the time: a duty-cycled spin in its own process.
LOAD = f"""
import time
half = {PERIOD} / 2
while True:
    end = time.monotonic() + half
    while time.monotonic() < end:
        pass
    time.sleep(half)
"""


def one_profile(scratch):
    cache = os.path.join(scratch, "cache")
    shutil.rmtree(cache, ignore_errors=True)
    cmd = [os.path.join(BIN, "popt-profile"), "--refresh", "--cache-dir", cache]
    if not FULL:
        cmd.append("--quick")
    if KEEP_LOW:
        cmd.append("--keep-low-confidence")
    start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if r.returncode != 0:
        reason = [l.strip(" -") for l in r.stderr.splitlines() if l.startswith("  - ")]
        return {"kept": False, "seconds": seconds, "why": reason[0] if reason else r.stderr[-200:]}
    conf = [l for l in r.stdout.splitlines() if "confidence" in l]
    report = os.path.join(scratch, "report.json")
    subprocess.run([os.path.join(BIN, "popt-compile"), MODEL, "--input-shape", "1x3x224x224",
                    "--cache-dir", cache, "--report", report, "--quiet"],
                   check=True, capture_output=True)
    with open(report) as f:
        pred = json.load(f)["predicted_execution_time"]
    return {"kept": True, "seconds": seconds, "pred_ms": pred * 1e3,
            "confidence": conf[0].strip() if conf else ""}


def summary(name, runs):
    if not runs:
        return
    kept = [r["pred_ms"] for r in runs if r["kept"]]
    refused = [r for r in runs if not r["kept"]]
    spread = (max(kept) / min(kept) - 1) * 100 if len(kept) > 1 else 0.0
    print(f"| {name} | {len(runs)} | {len(kept)} | {len(refused)} | "
          + (f"{min(kept):.2f}-{max(kept):.2f} ms | {spread:.1f}% |" if kept else "- | - |")
          + f" {sum(r['seconds'] for r in runs) / len(runs):.0f} s |")


def main():
    scratch = tempfile.mkdtemp(prefix="popt-bench-profile-")
    results = {"quiet": [], "loaded": []}
    try:
        for i in range(QUIET):
            r = one_profile(scratch)
            results["quiet"].append(r)
            print("quiet", i, r, flush=True)
        load = subprocess.Popen([sys.executable, "-c", LOAD])
        try:
            for i in range(LOADED):
                r = one_profile(scratch)
                results["loaded"].append(r)
                print("loaded", i, r, flush=True)
        finally:
            load.kill()
            load.wait()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print()
    print(f"popt-profile {'full' if FULL else '--quick'}"
          f"{' --keep-low-confidence' if KEEP_LOW else ''}, ResNet-18 1x3x224x224 predicted from "
          f"each kept profile; load: one core busy half of every {PERIOD} s")
    print()
    print("| runs | profiles | kept | refused | ResNet-18 predicted (kept) | spread | "
          "time per profile |")
    print("|---|---:|---:|---:|---|---:|---:|")
    summary("quiet machine", results["quiet"])
    summary("one core busy half the time", results["loaded"])
    why = {}
    for r in results["loaded"]:
        if not r["kept"]:
            why[r["why"]] = why.get(r["why"], 0) + 1
    for w, n in why.items():
        print(f"refused {n}x: {w}")


if __name__ == "__main__":
    main()
