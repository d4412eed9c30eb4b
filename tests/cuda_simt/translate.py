#!/usr/bin/env python3
"""Turns one of popt's .cu kernel files into host C++ for the SIMT model
(tests/cuda_simt/Simt.h): each `kernel<<<grid, block, shared, stream>>>(`
becomes `::popt::simt::launch(kernel, grid, block, shared, stream)(`,
`#pragma unroll` lines (nvcc's) are dropped, each `__shared__` declaration
is followed by a call poisoning it for a new block, and Simt.h is included
after the file's last #include. Nothing else changes: the kernels' code is
compiled as written.

usage: translate.py IN.cu OUT.cpp"""
import re
import sys


def translate(text):
    launch = re.compile(r"([A-Za-z_][\w:]*(?:<[^<>;]*>)?)<<<(.*?)>>>\(", re.S)
    text, count = launch.subn(lambda m: f"::popt::simt::launch({m.group(1)}, {m.group(2)})(", text)
    # Loop unrolling is nvcc's business (g++ would warn about the pragma).
    text = re.sub(r"^[ \t]*#pragma unroll[^\n]*\n", "", text, flags=re.M)
    # Each __shared__ variable is poisoned (0xFF bytes: NaN for floats) when
    # a new block first reaches its declaration, so that a read of shared
    # memory no thread of the block wrote shows.
    text = re.sub(r"^([ \t]*)__shared__([^;=]*?)(\w+)(\s*(?:\[[^;=]*\])?)\s*;",
                  lambda m: f"{m.group(0)} ::popt::simt::poisonShared(&{m.group(3)}, sizeof({m.group(3)}));",
                  text, flags=re.M)
    lines = text.split("\n")
    last = max((i for i, l in enumerate(lines) if l.startswith("#include")), default=-1)
    lines.insert(last + 1, '#include "tests/cuda_simt/Simt.h"')
    return "\n".join(lines), count


def main():
    src, out = sys.argv[1], sys.argv[2]
    text, count = translate(open(src).read())
    if "<<<" in text:
        sys.exit(f"translate.py: {src}: a launch left untranslated")
    header = f"// Generated from {src} by tests/cuda_simt/translate.py ({count} launches). Do not edit.\n"
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(header + text)
    import os
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
