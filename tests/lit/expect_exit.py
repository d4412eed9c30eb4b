#!/usr/bin/env python3
"""expect_exit.py CODE CMD...: runs CMD, prints its stdout and stderr, and
succeeds only when CMD exits with exactly CODE (lit's `not` accepts any
non-zero status; popt's exit codes are a contract)."""
import subprocess
import sys

code = int(sys.argv[1])
r = subprocess.run(sys.argv[2:], capture_output=True, text=True)
sys.stdout.write(r.stdout)
sys.stdout.write(r.stderr)
if r.returncode != code:
    sys.stderr.write(f"expected exit {code}, got {r.returncode}\n")
    sys.exit(1)
