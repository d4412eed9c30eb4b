"""Per-call CUDA calls from two runs' emulated call counts (tests/lit/cuda/gpu-staging.test)."""
import re
import sys


def counts(path):
    found = {}
    for line in open(path):
        m = re.match(r"emulated call (.+): (\d+)$", line.strip())
        if m:
            found[m.group(1)] = int(m.group(2))
    return found


five, fifteen = counts(sys.argv[1]), counts(sys.argv[2])
extra = {k: fifteen.get(k, 0) - five.get(k, 0) for k in set(five) | set(fifteen)}
launches = extra.get("cudaGraphLaunch", 0) / 10
waits = sum(extra.get(k, 0) for k in ("cudaStreamSynchronize", "cudaEventSynchronize",
                                        "cudaDeviceSynchronize")) / 10
print(f"per call: {launches:g} graph launch, {waits:g} waits")
