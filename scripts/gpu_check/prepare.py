#!/usr/bin/env python3
"""gpu-check.sh prepare: build the bundle the lent GPU machine needs.

Usage (through scripts/gpu-check.sh, with Debian's /usr/bin/python3):
  prepare.py [--device-kind cuda|cpu] [--models LIST] [--out build/gpu-check]
             [--work build/gpu-check-work] [--cuda-driver PATH] [--allow-cpu]
             [--target targets/dgx-h100.json] [--compile-extra FLAGS] [--budget-mib N]

LIST is comma-separated; an item is NAME or NAME:B/B (batches), where NAME
is a generated real-size model (models.GENERATED: resnet50, mobilenet_v2,
vit_b_16, gpt2, resnet18), gpt2_hf (timed on PyTorch only), or a zoo model
of build/models (zoo:NAME picks the zoo's where both exist). A zoo model
runs at its manifest batch, in f32 and, where its bf16 twin has the same
shapes, in bf16; a generated one at each of its batches in bf16 and f32.

For each plan (model, batch, dtype), here: popt-compile writes the plan
(cuda: --devices cuda:0 --target TARGET), LibTorch computes the reference
outputs on the seeded inputs (models.make_inputs); outputs over 65536
elements are kept at 65536 seeded positions. Plans and references are
cached in the work folder. Each (model, dtype) goes into one .tar.xz (the
plans of its batches share their weights, which xz then stores once);
popt-run, libpopt_cuda.so and the shared libraries the GPU machine lacks
into runtime.tar.xz. Archives are taken in the order of LIST while they fit
the budget (64 MiB that the device tool carries, less the working tree); a
model that does not fit is left out with its size and timed on PyTorch only.
"""
import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import models  # noqa: E402

MIB = 1 << 20
INPUT_SEED = 7
SAMPLE = 65536  # outputs larger than this are compared at this many positions
TOLERANCE = {"f32": 1e-4, "bf16": 1e-2}
ZOO_PT_MAX = 1 << 20  # a zoo model's TorchScript travels too (PyTorch's weights) up to this size
DEFAULT_MODELS = {
    "cuda": "mlp,gpt,transformer_encoder,resnet50,mobilenet_v2,vit_b_16,gpt2,gpt2_hf",
    "cpu": "mlp,gpt,resnet18:1",
}
# Libraries the GPU machine has: the C and C++ runtimes, CUDA's own.
SYSTEM_LIB = re.compile(r"^(linux-vdso|ld-linux|libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|"
                        r"libcuda|libcudart|libcublas|libcublasLt|libcudnn\w*|libnccl|libnvrtc\w*|"
                        r"libnvJitLink|libcufft|libcurand|libcusparse|libcusolver|libnvToolsExt)\.so")
XZ_FILTER = "preset=9,mf=hc4,nice=64,lc=0,lp=2,pb=2"  # fast on plans; lp, pb: 4-byte words


def log(msg):
    print(msg, flush=True)


def fail(msg):
    sys.exit(f"gpu-check prepare: error: {msg}")


def stale(target, *deps):
    return not os.path.exists(target) or any(os.path.getmtime(d) > os.path.getmtime(target) for d in deps)


def mib(n):
    return f"{n / MIB:.1f} MiB"


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs)


def read(path):
    return open(path).read() if os.path.exists(path) else None


# ---------------------------------------------------------------- models

def dims(specs):
    return [models.parse_spec(s)[0] for s in specs]


def resolve(item, zoo_manifest):
    """A LIST item as units: dicts of name, source, model, batch, specs by dtype."""
    name, _, batches = item.partition(":")
    kind = None
    if name in ("zoo", "gen"):
        kind, (name, _, batches) = name, batches.partition(":")
    want = [int(b) for b in batches.split("/")] if batches else None
    if name == "gpt2_hf":
        return [dict(name=name, source="hf", model=name, batch=b, specs={"f32": [f"{b}x128:i64"]},
                     pytorch_only=True) for b in want or (1, 16)]
    if kind != "zoo" and name in models.GENERATED:
        _, spec_of, default = models.GENERATED[name]
        units = []
        for b in want or default:
            specs = spec_of(b)
            bf16 = [s if ":" in s else s + ":bf16" for s in specs]
            # bf16 first: where only one fits, the one the issue's targets are about
            units.append(dict(name=name, source="gen", model=name, batch=b,
                              specs={"bf16": bf16, "f32": specs}))
        return units
    entry = zoo_manifest.get(f"{name}.trace") or zoo_manifest.get(f"{name}.script")
    if not entry:
        fail(f"unknown model {name!r}: not generated ({', '.join(models.GENERATED)}, gpt2_hf) "
             "nor in the zoo's manifest")
    specs = entry["inputs"]
    batch = dims(specs)[0][0]
    if want and want != [batch]:
        fail(f"zoo model {name} runs at its manifest batch {batch} only")
    dtype = "bf16" if any(s.endswith(":bf16") for s in specs) or name.startswith("bf16_") else "f32"
    unit = dict(name=name, source="zoo", model=name, batch=batch, specs={dtype: specs},
                files={dtype: entry["file"]})
    twin = models.ZOO_TWINS.get(name)
    t = (zoo_manifest.get(f"{twin}.trace") or zoo_manifest.get(f"{twin}.script")) if twin else None
    if t and dtype == "f32" and dims(t["inputs"]) == dims(specs):
        unit["specs"]["bf16"], unit["files"]["bf16"], unit["twin"] = t["inputs"], t["file"], twin
    return [unit]


def model_file(unit, dtype, args):
    """The TorchScript file to compile (generated models are written here)."""
    if unit["source"] == "zoo":
        return os.path.join(args.models_dir, unit["files"][dtype])
    path = os.path.join(args.work, "models", f"{unit['model']}.{dtype}.pt")
    if read(path + ".version") != str(models.VERSION) or not os.path.exists(path):
        log(f"  generating {path}")
        subprocess.run([sys.executable, os.path.join(HERE, "models.py"), os.path.dirname(path), unit["model"]],
                       check=True, stdout=subprocess.DEVNULL)
        for d in ("f32", "bf16"):
            with open(os.path.join(args.work, "models", f"{unit['model']}.{d}.pt.version"), "w") as f:
                f.write(str(models.VERSION))
    return path


def flatten(value):
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in flatten(v)]
    return [] if value is None else [value]


def reference(unit, dtype, pt, xs):
    """LibTorch's outputs as NumPy, and how they were computed: the zoo's
    TorchScript or the generated eager module (the same as its trace, at any
    batch). A bf16 model's reference is its bf16 weights computed in f32,
    so that the error measured is the plan's own rounding (LibTorch's bf16
    kernels round too: 1e-2 off on ViT); where the model does not run in
    f32, LibTorch's bf16 result, as check_e2e.py takes it."""
    import torch
    model = torch.jit.load(pt) if unit["source"] == "zoo" else models.generated(unit["model"], dtype)
    ts = [torch.from_numpy(x) for x in xs]  # bf16 inputs are bf16-exact f32 values

    def numpy(outs):
        return [t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy() for t in flatten(outs)]
    with torch.no_grad():
        if dtype == "f32":
            return numpy(model.eval()(*ts)), "LibTorch f32"
        try:
            return numpy(model.float().eval()(*ts)), "LibTorch f32 on the bf16 weights"
        except Exception:
            ts = [t.to(torch.bfloat16) if s.endswith(":bf16") else t for t, s in zip(ts, unit["specs"][dtype])]
            return numpy(model.to(torch.bfloat16).eval()(*ts)), "LibTorch bf16"


def build_plan(unit, dtype, args, stem):
    """Compiles one plan and writes its references; returns its manifest
    entry and the (path, name) files its archive holds."""
    specs = unit["specs"][dtype]
    pt = model_file(unit, dtype, args)
    plan = os.path.join(args.work, args.device_kind, stem + ".plan")
    weights = {"pt": os.path.basename(pt)} if unit["source"] == "zoo" else {"fill": 0}
    cmd = [args.popt_compile, pt, "-o", plan, "--quiet", "--devices", args.devices] + args.target_flags
    cmd += [a for s in specs for a in ("--input-shape", s)] + args.compile_extra
    entry = dict(dtype=dtype, inputs=specs, plan=stem + ".plan", weights=weights, compile=" ".join(cmd))
    if read(plan + ".cmd") != entry["compile"] or stale(plan, pt, args.popt_compile):
        t = time.time()
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            lines = [l for l in r.stderr.splitlines() if "warning" not in l] or r.stderr.splitlines() or [""]
            entry.update(status="compile failed", reason=f"popt-compile exit {r.returncode}: {lines[0][:200]}")
            log(f"  {stem}: {entry['reason']}")
            return entry, []
        with open(plan + ".cmd", "w") as f:
            f.write(entry["compile"])
        log(f"  compiled {stem} ({mib(os.path.getsize(plan))}, {time.time() - t:.0f} s)")
    refs = os.path.join(args.work, "refs")
    meta = os.path.join(refs, stem + ".json")
    cached = None if stale(meta, pt) else json.load(open(meta))
    if not isinstance(cached, dict) or cached.get("version") != models.VERSION:
        t = time.time()
        ys, how = reference(unit, dtype, pt, models.make_inputs(specs, INPUT_SEED))
        outs = []
        for i, y in enumerate(ys):
            o = dict(ref=f"{stem}.ref{i}.npy", dtype=str(y.dtype), shape=list(y.shape),
                     tolerance=TOLERANCE[dtype], reference=how)
            pos = models.sample_positions(y.size, SAMPLE, seed=INPUT_SEED + i)
            if pos is not None:
                o["sample"] = dict(count=SAMPLE, seed=INPUT_SEED + i)
                y = y.reshape(-1)[pos]
            np.save(os.path.join(refs, o["ref"]), y)
            outs.append(o)
        with open(meta, "w") as f:
            json.dump(dict(version=models.VERSION, outputs=outs), f)
        log(f"  reference {stem} ({time.time() - t:.0f} s)")
    entry.update(status="carried", outputs=json.load(open(meta))["outputs"])
    files = [(plan, stem + ".plan")] + [(os.path.join(refs, o["ref"]), o["ref"]) for o in entry["outputs"]]
    if unit["source"] == "zoo" and os.path.getsize(pt) <= ZOO_PT_MAX:
        files.append((pt, os.path.basename(pt)))
    return entry, files


# ---------------------------------------------------------------- bundle

def xz_archive(out, files):
    """tar.xz of (path, name) pairs, rebuilt only when its list or a member
    changed; the dictionary spans the largest file, so that the plans of one
    model's batches share their weights."""
    listing = "\n".join(f"{n} {os.path.realpath(p)}" for p, n in files)
    if read(out + ".list") == listing and not stale(out, *[p for p, _ in files]):
        return os.path.getsize(out)
    stage = out + ".stage"
    shutil.rmtree(stage, ignore_errors=True)
    for path, name in files:
        os.makedirs(os.path.dirname(os.path.join(stage, name)), exist_ok=True)
        os.symlink(os.path.abspath(path), os.path.join(stage, name))
    biggest = max(os.path.getsize(p) for p, _ in files)
    dict_mib = 8
    while dict_mib * MIB < biggest * 1.05 and dict_mib < 1536:
        dict_mib *= 2
    t = time.time()
    with open(out + ".tmp", "wb") as f:
        tar = subprocess.Popen(["tar", "-C", stage, "-chf", "-", "."], stdout=subprocess.PIPE)
        subprocess.run(["xz", f"--lzma2={XZ_FILTER},dict={dict_mib}MiB", "-T1", "-c"], stdin=tar.stdout,
                       stdout=f, check=True)
        if tar.wait():
            fail(f"tar failed for {out}")
    os.replace(out + ".tmp", out)
    with open(out + ".list", "w") as f:
        f.write(listing)
    shutil.rmtree(stage)
    raw = sum(os.path.getsize(p) for p, _ in files)
    log(f"  {os.path.basename(out)}: {mib(raw)} -> {mib(os.path.getsize(out))} ({time.time() - t:.0f} s)")
    return os.path.getsize(out)


def shared_libraries(binaries):
    """The libraries of binaries (ldd's closure) that the GPU machine lacks."""
    libs = {}
    for b in binaries:
        out = subprocess.run(["ldd", b], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            m = re.match(r"\s*(\S+)\s*=>\s*(\S+)", line)
            if not m or SYSTEM_LIB.match(m.group(1)):
                continue
            if m.group(2) == "not":
                fail(f"{b} needs {m.group(1)}, which is not found here")
            libs[m.group(1)] = os.path.realpath(m.group(2))
    return libs


def runtime_files(args, popt_run):
    """popt-run, libpopt_cuda.so and the libraries the GPU machine lacks."""
    driver = args.cuda_driver or next((p for p in (os.path.join(args.build, "lib", "libpopt_cuda.so"),
                                                  os.path.join(args.build, "bin", "libpopt_cuda.so"))
                                       if os.path.exists(p)), None)
    if not driver or not os.path.exists(driver):
        if not (args.allow_cpu or args.device_kind == "cpu"):
            where = driver or f"libpopt_cuda.so (in {args.build}/lib or bin, else --cuda-driver PATH)"
            fail(f"the CUDA driver {where} is missing: without it popt-run runs no cuda plan. "
                 "--allow-cpu bundles without it, for testing.")
        log("note: no libpopt_cuda.so: the bundle runs CPU plans only")
        driver = None
    libs = shared_libraries([popt_run] + ([driver] if driver else []))
    files = [(popt_run, "bin/popt-run")] + [(p, f"lib/{n}") for n, p in sorted(libs.items())]
    return files + ([(driver, "lib/libpopt_cuda.so")] if driver else []), driver


def check_driver(args, units):
    """Runs the bundled popt-run and libpopt_cuda.so on the smallest cuda
    plan: with no GPU here it must get as far as looking for the device (a
    driver built against another popt-run is refused before that)."""
    plans = [os.path.join(args.work, "cuda", p["plan"]) for u in units for p in u["plans"] if p.get("archive")]
    if not plans:
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["tar", "-C", tmp, "-xJf", os.path.join(args.out, "runtime.tar.xz")], check=True)
        env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(tmp, "lib"))
        env.pop("POPT_CUDA_DRIVER", None)
        r = subprocess.run([os.path.join(tmp, "bin", "popt-run"), min(plans, key=os.path.getsize)],
                           capture_output=True, text=True, env=env)
    said = (r.stderr.strip().splitlines() or ["(nothing)"])[-1]
    if "not a popt CUDA driver" in said:
        fail(f"the bundled popt-run refuses the bundled libpopt_cuda.so (built apart?): {said}")
    log(f"driver check here (exit {r.returncode}): {said}")


def worktree_bytes(repo):
    """What the device tool carries besides the bundle: tracked and
    untracked-not-ignored files."""
    out = subprocess.run(["git", "-C", repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         capture_output=True, check=True).stdout
    paths = {os.path.join(repo, f) for f in out.decode().split("\0") if f}
    return sum(os.path.getsize(p) for p in paths if os.path.isfile(p) and not os.path.islink(p))


def leave_out(members, dtype, reason):
    log(f"  left out: {reason}")
    for u in members:
        u["plans"].append(dict(dtype=dtype, status="left out", reason=reason))


def add_models(args, units, budget, used):
    """Plans, references and archives, one (model, dtype) at a time in LIST
    order, each taken while it fits; returns {archive: bytes}."""
    groups, sizes = {}, {}
    for u in units:
        for dtype in ([] if u.get("pytorch_only") else u["specs"]):
            groups.setdefault((u["model"], dtype), []).append(u)
    for (model, dtype), members in groups.items():
        archive = f"{model}.{dtype}.tar.xz"
        log(f"{model} {dtype} (batch {', '.join(str(u['batch']) for u in members)}):")
        left = budget - used
        if members[0]["source"] == "gen":  # skip the work where it cannot fit
            least = sum(p.numel() for p in models.GENERATED[model][0]().parameters()) * 1.2 / 8
            if least > left:  # these plans took 1.27 to 1.4 bits a weight
                leave_out(members, dtype, f"needs about {mib(least)} or more (1.2 bits a weight), "
                                          f"{mib(left)} left")
                continue
        else:  # random-init weights: xz saves little
            raw = os.path.getsize(model_file(members[0], dtype, args))
            if raw * 0.7 > left:
                leave_out(members, dtype, f"its weights ({mib(raw)}) would take about {mib(raw * 0.8)}, "
                                          f"{mib(left)} left")
                continue
        entries, files = [], []
        for u in members:
            e, f = build_plan(u, dtype, args, f"{model}.{dtype}.b{u['batch']}")
            entries.append(e)
            files += [x for x in f if x not in files]
        size = xz_archive(os.path.join(args.work, args.device_kind, archive), files) if files else 0
        fits = files and used + size <= budget
        if fits:
            shutil.copy(os.path.join(args.work, args.device_kind, archive), os.path.join(args.out, archive))
            used += size
            sizes[archive] = size
        elif files:
            log(f"  left out: {archive} is {mib(size)}, {mib(left)} left")
        for u, e in zip(members, entries):
            if e["status"] == "carried" and fits:
                e["archive"] = archive
            elif e["status"] == "carried":
                e.update(status="left out", reason=f"{archive} is {mib(size)}, {mib(left)} left")
            u["plans"].append(e)
    return sizes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--device-kind", choices=("cuda", "cpu"), default="cuda")
    ap.add_argument("--models", help="comma-separated (default: per device kind, see the header)")
    ap.add_argument("--out", default="build/gpu-check")
    ap.add_argument("--work", default="build/gpu-check-work", help="cache of models, plans and references")
    ap.add_argument("--build", default="build", help="the build folder with bin/, lib/ and models/")
    ap.add_argument("--cuda-driver", help="libpopt_cuda.so (default: BUILD/lib, then BUILD/bin)")
    ap.add_argument("--allow-cpu", action="store_true",
                    help="bundle without libpopt_cuda.so (implied by --device-kind cpu)")
    ap.add_argument("--target", default="targets/dgx-h100.json", help="hw.json for cuda plans")
    ap.add_argument("--compile-extra", default="", help="more popt-compile flags, one string")
    ap.add_argument("--budget-mib", type=float, help="bundle limit (default: 64 MiB less the working tree)")
    args = ap.parse_args()
    os.chdir(args.repo)
    args.compile_extra = shlex.split(args.compile_extra)
    args.popt_compile = os.path.join(args.build, "bin", "popt-compile")
    args.models_dir = os.path.join(args.build, "models")
    popt_run = os.path.join(args.build, "bin", "popt-run")
    for b in (args.popt_compile, popt_run):
        if not os.access(b, os.X_OK):
            fail(f"{b} is missing: build popt first")
    args.devices, args.target_flags = ("cuda:0", ["--target", args.target]) if args.device_kind == "cuda" \
        else ("cpu:0", [])
    for d in (args.device_kind, "refs", "models"):
        os.makedirs(os.path.join(args.work, d), exist_ok=True)
    runtime, driver = runtime_files(args, popt_run)
    zoo_manifest = json.load(open(os.path.join(args.models_dir, "models.json")))
    units = [u for item in (args.models or DEFAULT_MODELS[args.device_kind]).split(",") if item.strip()
             for u in resolve(item.strip(), zoo_manifest)]
    for u in units:
        u["plans"] = []
        xs = models.make_inputs(next(iter(u["specs"].values())), INPUT_SEED)
        u["input_sha256"] = hashlib.sha256(b"".join(x.tobytes() for x in xs)).hexdigest()

    if os.path.isdir(args.out) and os.listdir(args.out):
        if not any(os.path.exists(os.path.join(args.out, f)) for f in (".gpu-check-bundle", "manifest.json")):
            fail(f"{args.out} is not empty and is no gpu-check bundle: not clearing it")
        shutil.rmtree(args.out)
    os.makedirs(os.path.join(args.out, "zoo"))
    open(os.path.join(args.out, ".gpu-check-bundle"), "w").close()
    tree = worktree_bytes(args.repo)
    budget = args.budget_mib * MIB if args.budget_mib else 64 * MIB - tree - MIB
    log(f"budget: {mib(budget)} (64 MiB less the working tree's {mib(tree)} and 1 MiB spare)")
    log(f"runtime: popt-run, {', '.join(n for _, n in runtime[1:])}")
    xz_archive(os.path.join(args.work, f"runtime.{args.device_kind}.tar.xz"), runtime)
    shutil.copy(os.path.join(args.work, f"runtime.{args.device_kind}.tar.xz"),
                os.path.join(args.out, "runtime.tar.xz"))
    for f in ("remote.py", "models.py", "sanitize.py"):
        shutil.copy(os.path.join(HERE, f), os.path.join(args.out, f))
    for f in ("zoo.py", "lowp.py"):
        shutil.copy(os.path.join(args.repo, "tests", "models", f), os.path.join(args.out, "zoo", f))
    used = dir_bytes(args.out)
    if used > budget:
        biggest = sorted(runtime, key=lambda r: -os.path.getsize(r[0]))[:4]
        fail(f"the runtime alone ({mib(used)}) is over the budget ({mib(budget)}): "
             + ", ".join(f"{n} {mib(os.path.getsize(p))}" for p, n in biggest))
    sizes = {"runtime.tar.xz": os.path.getsize(os.path.join(args.out, "runtime.tar.xz"))}
    sizes.update(add_models(args, units, budget, used))
    if driver and args.device_kind == "cuda":
        check_driver(args, units)

    for u in units:
        u.pop("files", None)
    version = subprocess.run([popt_run, "--version"], capture_output=True, text=True).stdout.strip()
    manifest = dict(format=1, device_kind=args.device_kind, created=time.strftime("%Y-%m-%d %H:%M:%S"),
                    popt_version=version, input_seed=INPUT_SEED, budget_bytes=int(budget),
                    runtime="runtime.tar.xz", cuda_driver=bool(driver), units=units)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    total = dir_bytes(args.out)
    biggest = ", ".join(f"{n} {mib(s)}" for n, s in sorted(sizes.items(), key=lambda kv: -kv[1])[:5])
    if total > budget:
        fail(f"the bundle is {mib(total)}, over the budget {mib(budget)}; biggest: {biggest}")

    log(f"\nbundle {args.out}: {mib(total)} of {mib(budget)}; biggest: {biggest}")
    for u in units:
        for p in u["plans"]:
            if p["status"] != "carried":
                log(f"  not carried: {u['name']} b{u['batch']} {p['dtype']}: {p['status']}: "
                    f"{p.get('reason', '')}")
    if os.path.relpath(os.path.abspath(args.out), args.repo).startswith(".."):
        log(f"note: {args.out} is outside the repository; the device tool carries only paths inside it")
    log("run it on the GPU machine with the device tool's run:")
    log(f"  command: bash scripts/gpu-check.sh remote {args.out} --budget-seconds 420")
    log(f'  carry: ["{args.out}"]   timeout_s: 500')
    log(f"  (--compile [NAMES] times torch.compile too, about 20 s a model; a dry run here: "
        f"bash scripts/gpu-check.sh remote {args.out})")


if __name__ == "__main__":
    main()
