#!/usr/bin/env python3
"""Per-op time of popt-run against ONNX Runtime's profiler, for one model.

Usage: ops_side_by_side.py BUILD_DIR KEY [--iterations N] [--threads T] [--top K]

KEY names an entry of BUILD_DIR/bench-zoo/models.json (make_bench_zoo.py).
popt-run times the compiled plan (--metrics: median seconds per op); ONNX
Runtime (benchmarks/ort/ort_server.js, onnxruntime-node from
BUILD_DIR/ort, which bench-runtime installs) runs the ONNX export with its
profiler on (enableProfiling) on the same input. Both are summed per op
kind and by family (convolution, matrix product, pooling, elementwise,
normalisation, data movement), so that a model where popt is behind shows
where; then the K slowest single ops of each side.
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

BUILD, KEY = sys.argv[1], sys.argv[2]
ARGS = sys.argv[3:]


def arg(name, default):
    return type(default)(ARGS[ARGS.index(name) + 1]) if name in ARGS else default


ITERATIONS, THREADS, TOP = arg("--iterations", 100), arg("--threads", 2), arg("--top", 8)
ZOO = os.path.join(BUILD, "bench-zoo")
HERE = os.path.dirname(os.path.abspath(__file__))

FAMILIES = {
    "conv": {"conv2d", "fused_conv2d", "Conv", "FusedConv", "NchwcConv", "ConvTranspose"},
    "matmul": {"linear", "fused_linear", "matmul", "fused_matmul", "attention", "Gemm", "MatMul",
               "FusedMatMul", "FusedGemm", "Attention", "MultiHeadAttention"},
    "pool": {"max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "MaxPool", "AveragePool",
             "GlobalAveragePool", "NchwcMaxPool", "NchwcGlobalAveragePool", "NchwcAveragePool"},
    "norm": {"layer_norm", "batch_norm", "group_norm", "softmax", "LayerNormalization",
             "SkipLayerNormalization", "Softmax", "BatchNormalization"},
    "data movement": {"reshape", "permute", "concat", "slice", "broadcast_to", "Reshape",
                      "Transpose", "Concat", "Slice", "Split", "ReorderInput", "ReorderOutput",
                      "Flatten", "Squeeze", "Unsqueeze", "Gather", "Expand", "Shape"},
}


def family(kind):
    for name, kinds in FAMILIES.items():
        if kind in kinds:
            return name
    return "elementwise and other"


def popt_side(entry, inputs):
    plan = os.path.join(tempfile.gettempdir(), KEY + ".side.plan")
    metrics = plan + ".json"
    shapes = sum([["--input-shape", s] for s in entry["inputs"]], [])
    subprocess.run([os.path.join(BUILD, "bin", "popt-compile"), os.path.join(ZOO, entry["file"]),
                    *shapes, "-o", plan], check=True, stdout=subprocess.DEVNULL)
    feeds = sum([["--input", f] for f in inputs], [])
    subprocess.run([os.path.join(BUILD, "bin", "popt-run"), plan, *feeds, "--warmup", "10",
                    "--iterations", str(ITERATIONS), "--metrics", metrics], check=True,
                   stdout=subprocess.DEVNULL)
    m = json.load(open(metrics))
    ops = [(o["kind"], o["median_seconds"] * 1e3, f"#{o['op']}") for o in m["ops"]]
    return ops, m["median_execution_time"] * 1e3


def ort_side(entry, inputs):
    env = dict(os.environ, NODE_PATH=os.path.join(BUILD, "ort", "node_modules"))
    server = subprocess.Popen(["node", os.path.join(HERE, "ort_server.js")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)

    def ask(line):
        server.stdin.write(line + "\n")
        server.stdin.flush()
        answer = server.stdout.readline().strip()
        if not answer.startswith("ok"):
            raise SystemExit(f"ONNX Runtime: {line.split()[0]}: {answer}")
        return answer[3:]

    server.stdout.readline()  # ready
    prefix = os.path.join(tempfile.gettempdir(), KEY + ".ortprof")
    ask(f"load m {os.path.join(ZOO, entry['onnx'])} {THREADS} {prefix}")
    for i, f in enumerate(inputs):
        a = np.load(f)
        raw = f + ".bin"
        a.tofile(raw)
        dtype = "i64" if a.dtype == np.int64 else "f32"
        ask(f"input m x{i} {dtype} {'x'.join(map(str, a.shape))} {raw}")
    ask("run m 10")
    times = [float(t) for t in ask(f"run m {ITERATIONS}").split()]
    trace = ask("profile m")
    server.stdin.write("quit\n")
    server.stdin.flush()
    server.wait()
    events = json.load(open(trace))
    per_node = collections.defaultdict(list)
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per_node[(e["args"]["op_name"], e["name"][:-len("_kernel_time")])].append(e["dur"] / 1e3)
    os.remove(trace)
    calls = len(times) + 10
    ops = [(kind, sorted(d)[len(d) // 2] * len(d) / calls, name) for (kind, name), d in
           per_node.items()]
    return ops, sorted(times)[len(times) // 2]


def main():
    entry = json.load(open(os.path.join(ZOO, "models.json")))[KEY]
    rng = np.random.default_rng(3)
    inputs = []
    for i, spec in enumerate(entry["inputs"]):
        dims, _, dtype = spec.partition(":")
        shape = [int(d) for d in dims.split("x")]
        a = rng.integers(0, 16, shape).astype(np.int64) if dtype == "i64" else \
            rng.standard_normal(shape).astype(np.float32)
        path = os.path.join(tempfile.gettempdir(), f"{KEY}.x{i}.npy")
        np.save(path, a)
        inputs.append(path)
    popt_ops, popt_ms = popt_side(entry, inputs)
    ort_ops, ort_ms = ort_side(entry, inputs)
    print(f"## {KEY}: popt {popt_ms:.3f} ms, ONNX Runtime {ort_ms:.3f} ms per call "
          f"(medians of {ITERATIONS}, {THREADS} threads; per-op sums are of per-op medians)\n")
    print("| family | popt ms (ops) | ORT ms (ops) |\n|---|---:|---:|")
    fam = collections.defaultdict(lambda: [0.0, 0, 0.0, 0])
    for kind, ms, _ in popt_ops:
        fam[family(kind)][0] += ms
        fam[family(kind)][1] += 1
    for kind, ms, _ in ort_ops:
        fam[family(kind)][2] += ms
        fam[family(kind)][3] += 1
    for name, (p, pn, o, on) in sorted(fam.items(), key=lambda x: -max(x[1][0], x[1][2])):
        print(f"| {name} | {p:.3f} ({pn}) | {o:.3f} ({on}) |")
    for side, ops in (("popt", popt_ops), ("ONNX Runtime", ort_ops)):
        kinds = collections.defaultdict(lambda: [0.0, 0])
        for kind, ms, _ in ops:
            kinds[kind][0] += ms
            kinds[kind][1] += 1
        print(f"\n{side} by kind: " + ", ".join(
            f"{k} {v[0]:.3f} ({v[1]})" for k, v in sorted(kinds.items(), key=lambda x: -x[1][0])))
        print(f"{side} slowest: " + ", ".join(
            f"{k} {n} {ms:.3f}" for k, ms, n in sorted(ops, key=lambda x: -x[1])[:TOP]))


if __name__ == "__main__":
    main()
