#!/usr/bin/env python3
"""How much op-level placement over two one-core devices can gain, measured.

Usage: op_level_ceiling.py BUILD_DIR MODEL.pt INPUT_SHAPE [--rounds R] [--iterations N]
       (e.g. build build/models/googlenet.trace.pt 1x3x224x224)

Op-level placement runs each op whole on one device. On two logical CPU
devices of one core each, every op runs on one core; one device owning both
cores runs every op on two. This script measures both per op, on the
one-device plan (`--devices cpu:0`): its per-op times on both cores
(`--fixed-threads`) and on one core (taskset), the rounds alternating and
each op's fastest round kept. With the plan's dependencies (the scheduled
IR) it then reports:

  * the op-level ceiling: no schedule over two one-core devices finishes
    before the longest dependency chain at one-core times, nor before half
    the one-core work: one / max(chain, work / 2). Transfers, waits and
    contention only lower it. The bound is exact arithmetic on measured
    times, not a search.
  * the best schedule a search finds when an op may also run on both cores
    at once (both devices held for it, at the two-core time): what a
    runtime that lends one device's core to the other could reach, with no
    cost for lending. popt has no such op; this says whether to build one.

Times in the table are milliseconds per call.
"""
import json
import math
import os
import random
import re
import subprocess
import sys

BUILD, MODEL, SHAPE = sys.argv[1:4]
ARGS = sys.argv[4:]


def arg(name, default):
    return type(default)(ARGS[ARGS.index(name) + 1]) if name in ARGS else default


ROUNDS, ITERATIONS = arg("--rounds", 3), arg("--iterations", 30)
BIN = os.path.join(BUILD, "bin")
OUT = os.path.join(BUILD, "op-level-ceiling")
FIRST_CORE = min(os.sched_getaffinity(0))


def compile_plan():
    os.makedirs(OUT, exist_ok=True)
    plan, ir = os.path.join(OUT, "one.plan"), os.path.join(OUT, "scheduled.mlir")
    subprocess.run([os.path.join(BIN, "popt-compile"), MODEL, "--input-shape", f"x={SHAPE}",
                    "--devices", "cpu:0", "-o", plan, "--emit-mlir", f"scheduled={ir}",
                    "--quiet"], check=True)
    return plan, ir


def dependencies(ir):
    """The plan's ops in order (kind, indices of the ops they read)."""
    ops, producer = [], {}
    for line in open(ir):
        m = re.match(r"\s*(%[\w]+)(?::\d+)? = popt\.(\w+)(.*)", line)
        if not m or m.group(2) == "constant":
            continue
        result, kind, rest = m.groups()
        operands = rest.split(" : ")[0]
        reads = sorted({producer[v] for v in re.findall(r"%[\w]+", operands) if v in producer})
        producer[result] = len(ops)
        ops.append((kind, reads))
    return ops


def per_op_times(plan):
    """Per op: fastest round's median on both cores and on one core (ms)."""
    metrics = os.path.join(OUT, "metrics.json")
    runs = {"two": [], "one": []}
    for _ in range(ROUNDS):
        for label, prefix, extra in (("two", [], ["--fixed-threads"]),
                                     ("one", ["taskset", "-c", str(FIRST_CORE)], [])):
            subprocess.run(prefix + [os.path.join(BIN, "popt-run"), plan, "--warmup", "10",
                                     "--iterations", str(ITERATIONS), "--metrics", metrics] + extra,
                           check=True, capture_output=True)
            runs[label].append(json.load(open(metrics))["ops"])
    kinds = [o["kind"] for o in runs["two"][0]]
    best = {label: [min(r[i]["median_seconds"] for r in rs) * 1e3 for i in range(len(kinds))]
            for label, rs in runs.items()}
    return kinds, best["two"], best["one"]


def list_schedule(ops, where, t1, t2, rank):
    """Makespan of a list schedule: `where[i]` is 0, 1 (one core) or 2 (both)."""
    n = len(ops)
    succ = [[] for _ in range(n)]
    for i, (_, reads) in enumerate(ops):
        for j in reads:
            succ[j].append(i)
    waiting = [len(reads) for _, reads in ops]
    ready = [i for i in range(n) if waiting[i] == 0]
    free, finish = [0.0, 0.0], [0.0] * n
    while ready:
        ready.sort(key=lambda i: -rank[i])
        i = ready.pop(0)
        start = max([finish[j] for j in ops[i][1]] + [0.0])
        if where[i] == 2:
            start = max(start, free[0], free[1])
            finish[i] = start + t2[i]
            free = [finish[i], finish[i]]
        else:
            start = max(start, free[where[i]])
            finish[i] = start + t1[i]
            free[where[i]] = finish[i]
        for s in succ[i]:
            waiting[s] -= 1
            if waiting[s] == 0:
                ready.append(s)
    return max(finish)


def search_with_both(ops, t1, t2, steps=30000, seed=1):
    """Annealing over each op's place (0, 1 or both), from all on both."""
    n = len(ops)
    rank = [0.0] * n
    for i in reversed(range(n)):
        later = [rank[s] for s in range(i + 1, n) if i in ops[s][1]]
        rank[i] = min(t1[i], t2[i]) + max(later + [0.0])
    rng = random.Random(seed)
    where = [2] * n
    current = best = list_schedule(ops, where, t1, t2, rank)
    temperature = 0.03 * current
    for _ in range(steps):
        moved = rng.sample(range(n), rng.choice((1, 1, 2, 3)))
        before = [where[i] for i in moved]
        for i in moved:
            where[i] = rng.choice((0, 1, 2))
        t = list_schedule(ops, where, t1, t2, rank)
        if t < current or rng.random() < math.exp((current - t) / temperature):
            current, best = t, min(best, t)
        else:
            for i, w in zip(moved, before):
                where[i] = w
        temperature *= 0.9997
    return best


def main():
    plan, ir = compile_plan()
    ops = dependencies(ir)
    kinds, t2, t1 = per_op_times(plan)
    if [k for k, _ in ops] != kinds:
        sys.exit("the scheduled IR's ops do not match the plan's")
    one, core = sum(t2), sum(t1)
    chain = [0.0] * len(ops)
    for i, (_, reads) in enumerate(ops):
        chain[i] = t1[i] + max([chain[j] for j in reads] + [0.0])
    bound = max(max(chain), core / 2)
    both = search_with_both(ops, t1, t2)
    name = os.path.basename(MODEL)
    print("| model | input | ops | one device, two cores | one core | longest chain on one core "
          "| op-level ceiling | with ops on both cores (search) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    print(f"| {name} | {SHAPE} | {len(ops)} | {one:.2f} | {core:.2f} (scaling {core / one:.2f}x) "
          f"| {max(chain):.2f} | {one / bound:.2f}x | {one / both:.2f}x |")
    print(f"\ncommand: benchmarks/op_level_ceiling.py {BUILD} {MODEL} {SHAPE} --rounds {ROUNDS} "
          f"--iterations {ITERATIONS}")


if __name__ == "__main__":
    main()
