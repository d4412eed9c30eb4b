"""gpu-check on the GPU machine, last step: popt's kernels under NVIDIA's
compute-sanitizer (memcheck, racecheck, synccheck) on a few small f32
plans, with the time left after the table (remote.py)."""
import glob
import os
import re
import shutil
import signal
import subprocess
import time


SANITIZED = ("mlp", "gpt", "transformer_encoder", "mobilenet_v2")


def find_sanitizer():
    """NVIDIA's compute-sanitizer, where the CUDA toolkit put it."""
    found = shutil.which("compute-sanitizer")
    if found:
        return found
    for pattern in ("/usr/local/cuda/bin/compute-sanitizer", "/usr/local/cuda-*/bin/compute-sanitizer",
                    "/usr/local/cuda/compute-sanitizer/compute-sanitizer",
                    "/opt/nvidia/*/compute-sanitizer/compute-sanitizer"):
        for path in sorted(glob.glob(pattern)):
            if os.access(path, os.X_OK):
                return path
    return None


def sanitize(units, inputs_of, tmp, env, clock, seconds=90):
    """popt's kernels under compute-sanitizer on a few small f32 plans, the
    first unit of each model in SANITIZED: memcheck (out-of-bounds and
    misaligned accesses, leaks of device memory: --leak-check full), racecheck (shared-memory
    hazards: the tiled attention's tiles) and synccheck (barriers). Returns
    notes; nothing when there is no GPU."""
    tool = find_sanitizer()
    if not tool:
        return ["compute-sanitizer: not found on this machine (PATH, /usr/local/cuda*/bin)"]
    deadline = time.time() + min(seconds, max(0.0, clock.left() - 10))
    notes, seen = [], set()
    for unit in units:
        if unit["model"] not in SANITIZED or unit["model"] in seen:
            continue
        plan = next((p for p in unit["plans"] if p.get("dtype") == "f32" and p.get("status") == "carried"),
                    None)
        if plan is None:
            continue
        seen.add(unit["model"])
        paths = inputs_of(unit)
        run = [os.path.join(tmp, "bin", "popt-run"), os.path.join(tmp, plan["plan"]),
               "--warmup", "1", "--iterations", "2"]
        run += [a for p in paths for a in ("--input", p)]
        results = []
        for check in ("memcheck", "racecheck", "synccheck"):
            left = deadline - time.time()
            if left < 5:
                results.append(f"{check} skipped (time budget)")
                continue
            flags = ["--tool", check, "--error-exitcode", "99", "--print-limit", "3"]
            if check == "memcheck":
                flags += ["--leak-check", "full"]
            # Its own process group: a timeout kills popt-run too, not only the sanitizer.
            p = subprocess.Popen([tool] + flags + run, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, env=env, start_new_session=True)
            try:
                out, _ = p.communicate(timeout=left)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.communicate(timeout=5)
                results.append(f"{check} timed out")
                continue
            summary = re.findall(r"ERROR SUMMARY: (\d+) errors?", out)
            race = re.findall(r"RACECHECK SUMMARY: \d+ hazards? displayed \((\d+) errors?, (\d+) warnings?\)", out)
            if race:
                text = f"{check} {race[-1][0]} errors, {race[-1][1]} warnings"
                bad = race[-1][0] != "0"
            else:
                count = summary[-1] if summary else "?"
                text = f"{check} {count} errors"
                bad = count not in ("0", "?")
            if p.returncode not in (0, 99):
                text += f" (exit {p.returncode})"
            if bad or p.returncode == 99:
                first = next((l.strip() for l in out.splitlines()
                              if "=========" in l and ("Invalid" in l or "hazard" in l or "Barrier" in l
                                                       or "error" in l.lower())), "")
                text += f" ({first[:200]})" if first else ""
            results.append(text)
        notes.append(f"compute-sanitizer, {unit['name']} b{unit['batch']} f32: " + "; ".join(results))
    return notes
