"""The loop the model-driven test scripts share: run a check per manifest
entry on two workers, print one line each and the closing count, exit 1 on
any failure."""
import concurrent.futures
import sys


def run_checks(entries, check):
    """entries: {key: entry}; check(key, entry) returns None or an error."""
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {k: pool.submit(check, k, e) for k, e in sorted(entries.items())}
        for key, fut in futures.items():
            try:
                err = fut.result()
            except Exception as ex:  # a crash in the harness is a failure too
                err = f"harness error: {ex}"
            print(f"{'FAIL' if err else 'ok  '} {key}" + (f": {err}" if err else ""), flush=True)
            failed += bool(err)
    print(f"{len(entries) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
