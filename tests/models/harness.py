"""The loop the model-driven test scripts share: run a check per manifest
entry on two workers, print one line each and the closing count, exit 1 on
any failure. A check that returns a Skip prints its reason and counts as
skipped, not failed (hardware the test needs is missing).

A check's work folder (OUT/key: plans, inputs, outputs) is removed once the
check passes or skips, so that a run's disk use stays near one plan per
worker (VGG-11's plans are 530 MB each); a failing check's folder stays for
a look. POPT_KEEP_TEST_OUTPUT=1 keeps every folder."""
import concurrent.futures
import os
import shutil
import sys


class Skip(str):
    """Why a check did not run on this machine."""


def run_checks(entries, check, out=None):
    """entries: {key: entry}; check(key, entry) returns None, an error or a Skip;
    out: the folder holding each check's work folder, named by its key."""
    keep = os.environ.get("POPT_KEEP_TEST_OUTPUT") == "1"

    def checked(key, entry):
        err = check(key, entry)
        if out and not keep and (not err or isinstance(err, Skip)):
            shutil.rmtree(os.path.join(out, key), ignore_errors=True)
        return err

    failed = skipped = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {k: pool.submit(checked, k, e) for k, e in sorted(entries.items())}
        for key, fut in futures.items():
            try:
                err = fut.result()
            except Exception as ex:  # a crash in the harness is a failure too
                err = f"harness error: {ex}"
            if isinstance(err, Skip):
                print(f"skip {key}: {err}", flush=True)
                skipped += 1
                continue
            print(f"{'FAIL' if err else 'ok  '} {key}" + (f": {err}" if err else ""), flush=True)
            failed += bool(err)
    print(f"{len(entries) - failed - skipped} passed, {failed} failed" +
          (f", {skipped} skipped" if skipped else ""))
    sys.exit(1 if failed else 0)
