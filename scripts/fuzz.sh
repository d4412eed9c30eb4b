#!/usr/bin/env bash
# fuzz.sh (`make fuzz`): builds the libFuzzer harnesses of tests/fuzz into
# build-fuzz/ and runs each for FUZZ_SECONDS (default 60) seconds, one after
# the other on one core. Per fuzzer, first the saved reproducers of past
# findings (tests/fuzz/regressions/NAME/) and, for plans, the seeds (each
# must verify); then fuzzing from the corpus kept in build-fuzz/corpus/NAME
# plus the committed seeds. Prints executions, corpus and findings per
# fuzzer; exits 1 when any fuzzer found something (the reproducer is under
# build-fuzz/findings/NAME/: keep it in tests/fuzz/regressions/NAME/ once
# fixed). docs/reliability.md, "Fuzzing", has the numbers of past runs.
#
# Environment: FUZZ_SECONDS, FUZZERS (default "plan npy hw zip"),
# FUZZ_BUILD (default build-fuzz), FUZZ_LLVM_VERSION (clang version, 14),
# JOBS (build parallelism, 2), FUZZ_ARGS (more libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/.."
EACH=${FUZZ_SECONDS:-60}
BUILD=${FUZZ_BUILD:-build-fuzz}
V=${FUZZ_LLVM_VERSION:-14}
FUZZERS=${FUZZERS:-plan npy hw zip}

scripts/install-deps.sh --fuzz
[[ -f "$BUILD/build.ninja" ]] ||
  cmake -S tests/fuzz -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER="clang++-$V" >/dev/null
cmake --build "$BUILD" -j "${JOBS:-2}"

seeds_of() {
  case $1 in
    hw) echo "tests/fuzz/seeds/hw targets tests/e2e/targets" ;;
    *) echo "tests/fuzz/seeds/$1" ;;
  esac
}

failed=0
summary=()
for f in $FUZZERS; do
  bin="$BUILD/fuzz_$f"
  corpus="$BUILD/corpus/$f"
  findings="$BUILD/findings/$f"
  log="$BUILD/logs/$f.log"
  mkdir -p "$corpus" "$findings" "$BUILD/logs"
  rm -f "$findings"/*
  echo "== fuzz_$f"

  # Past findings must stay fixed; seed plans must verify.
  mapfile -t repro < <(find "tests/fuzz/regressions/$f" -type f ! -name '*.md' 2>/dev/null | sort)
  if ((${#repro[@]})) && ! "$bin" "${repro[@]}" >"$BUILD/logs/$f.regressions.log" 2>&1; then
    echo "fuzz_$f: a saved reproducer fails again ($BUILD/logs/$f.regressions.log)"
    failed=1
    summary+=("$(printf '%-5s regression reproducer fails' "$f")")
    continue
  fi
  if [[ $f == plan ]] && ! POPT_FUZZ_EXPECT_VALID=1 "$bin" tests/fuzz/seeds/plan/* \
      >"$BUILD/logs/$f.seeds.log" 2>&1; then
    echo "fuzz_plan: a seed plan is refused ($BUILD/logs/$f.seeds.log)"
    failed=1
    summary+=("$(printf '%-5s seed plan refused' "$f")")
    continue
  fi

  dict=()
  [[ -f "tests/fuzz/$f.dict" ]] && dict=("-dict=tests/fuzz/$f.dict")
  start=$(date +%s)
  rc=0
  # shellcheck disable=SC2046,SC2086
  "$bin" -max_total_time="$EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "${dict[@]}" -artifact_prefix="$findings/" ${FUZZ_ARGS:-} \
    "$corpus" $(seeds_of "$f") >"$log" 2>&1 || rc=$?
  took=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  units=$(find "$corpus" -type f | wc -l)
  kb=$(find "$corpus" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d", (s + 1023) / 1024}')
  found=$(find "$findings" -type f | wc -l)
  line=$(printf '%-5s %10s execs in %4ss, corpus %5s inputs (%s KB), findings %s' \
    "$f" "${execs:-?}" "$took" "$units" "$kb" "$found")
  echo "$line"
  if ((rc != 0 || found > 0)); then
    failed=1
    echo "fuzz_$f: exit $rc; the log is $log, reproducers:"
    find "$findings" -type f | sed 's/^/  /'
    grep -m3 -E 'ERROR|runtime error|refused|accepted|changes it' "$log" | sed 's/^/  /' || true
  fi
  summary+=("$line")
done

echo "== fuzz summary (${EACH}s per fuzzer)"
printf '%s\n' "${summary[@]}"
exit $failed
