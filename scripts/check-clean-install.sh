#!/usr/bin/env bash
# check-clean-install.sh: checks that the README's quick start (`make run`) works
# on a *fresh* Debian 12 machine. It bootstraps a minimal Debian 12 (bookworm)
# root with mmdebstrap (plus make, git, ca-certificates and sudo, which the
# README assumes), copies a clean clone of the repository into it, and runs the
# Makefile's steps one by one in a chroot as an ordinary user with sudo:
# `make deps` (scripts/install-deps.sh), `make configure`, `make build` and
# `make run`. Each step is timed; a table of step, seconds and ok/FAILED is
# printed at the end. Exit status 0 only when every step that ran passed.
#
# How long (measured on a 2-core machine, deb.debian.org): bootstrap ~1 min,
# deps ~5 min, configure ~15 s, build ~30 min (both cores), run ~1 min.
# `--stop-after configure` takes ~6.5 min; `--reuse-root` re-runs take seconds
# plus the build.
# Deleting the root at the end (without --keep) can take a few more minutes.
# The root needs about 4 GB before the build; the logs stay next to it (ROOT-logs).
#
# Usage (as root; needs chroot and mount):
#   scripts/check-clean-install.sh [options] [ROOT]
#     ROOT (or --root DIR, or $POPT_CLEAN_ROOT)  scratch root, default /var/tmp/popt-clean-root
#     --repo PATH|URL   repository to clone (default: the one this script is in), at its HEAD
#     --worktree        copy the current working tree of --repo instead, uncommitted changes
#                       included (tracked + untracked, not ignored: git ls-files -co --exclude-standard)
#     --keep            keep the root afterwards for inspection (default: delete it)
#     --reuse-root      skip the bootstrap when ROOT already holds one (implies --keep); the
#                       repository copy is always fresh, so configure and build start clean
#     --stop-after STEP stop after bootstrap|copy|deps|configure|build|run (default run)
#     --as-root         run the make steps as root in the chroot instead of a sudo user
#   Environment: POPT_CLEAN_ROOT, POPT_CLEAN_LOGS (default ROOT-logs), POPT_CLEAN_JOBS
#   (make's JOBS, default 2), POPT_CLEAN_SOURCES (apt lines for the root; default: the
#   bookworm* entries of this machine's /etc/apt/sources.list{,.d/*}).
# Every step runs under `nice -n 19` (and the lowest best-effort I/O priority) so that it does not
# starve other work. Mounts (/proc, /sys, /dev, /dev/pts, /dev/shm) are removed by an
# EXIT trap, also on failure or Ctrl-C; the root is only deleted when nothing is mounted in it.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${POPT_CLEAN_ROOT:-/var/tmp/popt-clean-root}
REPO=$(git -C "$SCRIPT_DIR" rev-parse --show-toplevel 2>/dev/null || (cd "$SCRIPT_DIR/.." && pwd))
WORKTREE=0
KEEP=0
REUSE=0
AS_ROOT=0
STOP_AFTER=run
JOBS=${POPT_CLEAN_JOBS:-2}
SUITE=bookworm
STEPS=(bootstrap copy deps configure build run)

usage() { sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "check-clean-install: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --root) [[ $# -ge 2 ]] || die "--root needs a directory"; ROOT=$2; shift ;;
    --repo) [[ $# -ge 2 ]] || die "--repo needs a path or URL"; REPO=$2; shift ;;
    --worktree) WORKTREE=1 ;;
    --keep) KEEP=1 ;;
    --reuse-root) REUSE=1; KEEP=1 ;;
    --as-root) AS_ROOT=1 ;;
    --stop-after)
      [[ $# -ge 2 ]] || die "--stop-after needs a step"
      [[ " ${STEPS[*]} " == *" $2 "* ]] || die "--stop-after: unknown step '$2' (${STEPS[*]})"
      STOP_AFTER=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (try --help)" ;;
    *) ROOT=$1 ;;
  esac
  shift
done

[[ $(id -u) -eq 0 ]] || die "run as root (it uses chroot and mount)"
[[ $ROOT != *[[:space:]]* ]] || die "ROOT must not contain whitespace: '$ROOT'"
ROOT=$(realpath -m -- "$ROOT")
case $ROOT in
  /|/var|/var/tmp|/tmp|/home|/root|/usr|/etc|/opt|/srv) die "refusing ROOT=$ROOT" ;;
esac
[[ $ROOT != "$(realpath -m -- "$REPO")"* ]] || die "ROOT must not be inside the repository"
LOGS=$(realpath -m -- "${POPT_CLEAN_LOGS:-$ROOT-logs}")
MARKER=$ROOT/.popt-clean-root
BUILD_USER=popt
HOME_IN=/home/$BUILD_USER
SRC_IN=$HOME_IN/popt
if [[ $AS_ROOT -eq 1 ]]; then HOME_IN=/root; SRC_IN=/root/popt; fi
if [[ $WORKTREE -eq 1 ]]; then
  git -C "$REPO" rev-parse --show-toplevel >/dev/null 2>&1 || die "--worktree needs a local repository: $REPO"
  REPO=$(git -C "$REPO" rev-parse --show-toplevel)
fi

# ---------------------------------------------------------------- mounts and cleanup
# Every mount point at or below ROOT, deepest first (from /proc/self/mountinfo).
mounts_under_root() {
  awk -v r="$ROOT" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# Processes whose root directory is our chroot (only ones this script started).
kill_chroot_processes() {
  local p pids=()
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/root" 2>/dev/null) == "$ROOT" ]] && pids+=("${p#/proc/}")
  done
  [[ ${#pids[@]} -gt 0 ]] || return 0
  echo "check-clean-install: stopping leftover processes in the root: ${pids[*]}" >&2
  kill -TERM "${pids[@]}" 2>/dev/null || true
  sleep 2
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

unmount_all() {
  local m
  for m in $(mounts_under_root); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "check-clean-install: could not unmount $m" >&2
  done
  ! mounts_under_root | grep -q .
}

# A root this script made: its marker, or (after a failed bootstrap) a partial Debian tree.
is_our_root() { [[ -e $MARKER || ( -d $ROOT/var/lib/dpkg && -d $ROOT/etc ) ]]; }

STEP_PID=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $STEP_PID ]] && kill -0 "$STEP_PID" 2>/dev/null; then
    kill -TERM -- "-$STEP_PID" 2>/dev/null || kill -TERM "$STEP_PID" 2>/dev/null || true
  fi
  kill_chroot_processes
  if ! unmount_all; then
    echo "check-clean-install: mounts left under $ROOT; not deleting it" >&2
    exit $(( rc == 0 ? 1 : rc ))
  fi
  if [[ $KEEP -eq 0 ]] && is_our_root; then
    local start=$SECONDS
    echo "deleting the root $ROOT (--keep keeps it) ..."
    rm -rf --one-file-system -- "$ROOT"
    echo "deleted in $((SECONDS - start)) s"
  elif is_our_root; then
    echo "kept the root: $ROOT (chroot $ROOT; sources in $SRC_IN)"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mount_root() {
  mountpoint -q "$ROOT/proc" || { mount -t proc proc "$ROOT/proc"; mount --make-private "$ROOT/proc"; }
  mountpoint -q "$ROOT/sys" || { mount -t sysfs -o ro sysfs "$ROOT/sys"; mount --make-private "$ROOT/sys"; }
  if ! mountpoint -q "$ROOT/dev"; then
    # Private at once, so that the submounts below never propagate to the host's /dev.
    mount --bind /dev "$ROOT/dev"; mount --make-private "$ROOT/dev"
    mkdir -p "$ROOT/dev/pts" "$ROOT/dev/shm"
    mount --bind /dev/pts "$ROOT/dev/pts"; mount --make-private "$ROOT/dev/pts"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$ROOT/dev/shm"; mount --make-private "$ROOT/dev/shm"
  fi
}

# ---------------------------------------------------------------- steps
declare -A SECS=() RESULT=()
FAILED_STEP=

# run_step NAME FUNCTION: runs FUNCTION niced with its output in $LOGS/NAME.log and times it.
run_step() {
  local name=$1 fn=$2 start rc=0
  echo "== $name (log: $LOGS/$name.log)"
  start=$EPOCHREALTIME
  # Own process group (set -m) so that an interrupt can stop the whole step.
  set -m
  (
    renice -n 19 -p "$BASHPID" >/dev/null
    ionice -c 2 -n 7 -p "$BASHPID" 2>/dev/null || true
    "$fn"
  ) >"$LOGS/$name.log" 2>&1 &
  STEP_PID=$!
  set +m
  wait "$STEP_PID" || rc=$?
  STEP_PID=
  SECS[$name]=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  if [[ $rc -eq 0 ]]; then RESULT[$name]=ok; else RESULT[$name]=FAILED; FAILED_STEP=$name; fi
  echo "   ${RESULT[$name]} in ${SECS[$name]} s"
  return "$rc"
}

# Runs a shell command in the root, in the sources, as the build user, with a clean environment.
in_root() {
  local user=()
  if [[ $AS_ROOT -eq 0 ]]; then
    user=(--userspec="$(chroot "$ROOT" id -u "$BUILD_USER"):$(chroot "$ROOT" id -g "$BUILD_USER")")
  fi
  chroot "${user[@]}" "$ROOT" /usr/bin/env -i HOME="$HOME_IN" USER="$BUILD_USER" LOGNAME="$BUILD_USER" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb \
    /bin/bash -c "cd $SRC_IN && set -x && $*"
}

# The apt lines for the root: POPT_CLEAN_SOURCES, else this machine's bookworm* Debian entries.
apt_sources() {
  if [[ -n ${POPT_CLEAN_SOURCES:-} ]]; then printf '%s\n' "$POPT_CLEAN_SOURCES"; return; fi
  local f lines=""
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    lines+=$(awk -v s="$SUITE" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($i ~ /^\[/ || $i ~ /\]$/) i++;
               if (index($(i + 1), s) == 1) { line = "deb"; for (j = i; j <= NF; j++) line = line " " $j; print line } }' "$f")$'\n'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    # deb822: one stanza per paragraph; keep enabled "deb" stanzas, bookworm* suites only.
    lines+=$(awk -v s="$SUITE" '
      function flush(  u, q, nu, ns, i, k) {
        if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no") {
          nu = split(uris, u, " "); ns = split(suites, q, " ")
          for (i = 1; i <= nu; i++) for (k = 1; k <= ns; k++)
            if (index(q[k], s) == 1) print "deb " u[i] " " q[k] " " comps
        }
        types = uris = suites = comps = enabled = ""
      }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[[:space:]]*/, "", val)
        if (key == "types") types = val; else if (key == "uris") uris = val
        else if (key == "suites") suites = val; else if (key == "components") comps = val
        else if (key == "enabled") enabled = val }
      END { flush() }' "$f")$'\n'
  done
  lines=$(printf '%s' "$lines" | awk 'NF && !seen[$0]++')
  if [[ -z $lines ]]; then
    lines="deb http://deb.debian.org/debian $SUITE main
deb http://deb.debian.org/debian $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main"
  fi
  printf '%s\n' "$lines"
}

step_bootstrap() {
  local -a sources
  mapfile -t sources < <(printf '%s\n' "$APT_SOURCES")
  echo "apt sources for the root:"; printf '  %s\n' "${sources[@]}"
  mmdebstrap --mode=root --variant=minbase --include=make,git,ca-certificates,sudo \
    "$SUITE" "$ROOT" "${sources[@]}"
  touch "$MARKER"
}

step_copy() {
  local dest=$ROOT$SRC_IN
  rm -rf --one-file-system -- "$dest"
  if [[ $AS_ROOT -eq 0 ]] && ! chroot "$ROOT" id -u "$BUILD_USER" >/dev/null 2>&1; then
    chroot "$ROOT" useradd --create-home --shell /bin/bash "$BUILD_USER"
  fi
  if [[ $AS_ROOT -eq 0 ]]; then
    echo "$BUILD_USER ALL=(ALL) NOPASSWD:ALL" >"$ROOT/etc/sudoers.d/$BUILD_USER"
    chmod 0440 "$ROOT/etc/sudoers.d/$BUILD_USER"
  fi
  # Name resolution in the root, and no daemons started by package scripts.
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
  grep -q "[[:space:]]$(hostname)\$" "$ROOT/etc/hosts" 2>/dev/null || echo "127.0.1.1 $(hostname)" >>"$ROOT/etc/hosts"
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"; chmod 0755 "$ROOT/usr/sbin/policy-rc.d"

  git clone --quiet --no-hardlinks "$REPO" "$dest"
  local head
  if [[ $WORKTREE -eq 1 ]]; then
    head=$(git -C "$REPO" rev-parse HEAD)
    git -C "$dest" checkout --quiet --detach "$head"
    # Overlay the working tree: tracked and untracked files that are not ignored, never build*/.
    (cd "$REPO" && git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
       case $f in build/*|build-*/*) continue ;; esac
       if [[ -e $f || -L $f ]]; then printf '%s\0' "$f"; fi
     done | tar --null -T - -cf -) | tar -C "$dest" -xf -
    # Files deleted in the working tree but still tracked.
    (cd "$REPO" && git ls-files -z -d) | (cd "$dest" && xargs -0 -r rm -f --)
    echo "copied the working tree of $REPO (HEAD $head) with its changes:"
    git -C "$dest" status --short
  else
    if git -C "$REPO" rev-parse HEAD >/dev/null 2>&1; then
      head=$(git -C "$REPO" rev-parse HEAD)
      git -C "$dest" checkout --quiet --detach "$head"
    fi
    echo "cloned $REPO at $(git -C "$dest" rev-parse HEAD)"
  fi
  find "$dest" -maxdepth 1 -name 'build*' -exec rm -rf --one-file-system -- {} +
  if [[ $AS_ROOT -eq 0 ]]; then chroot "$ROOT" chown -R "$BUILD_USER:" "$SRC_IN"; fi
}

step_deps() { in_root make deps; }
step_configure() { in_root make configure; }
step_build() { in_root make build "JOBS=$JOBS"; }
step_run() { in_root make run "JOBS=$JOBS"; }

# ---------------------------------------------------------------- main
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log
echo "check-clean-install: root $ROOT, logs $LOGS, repository $REPO$([[ $WORKTREE -eq 1 ]] && echo ' (working tree)'), stop after $STOP_AFTER"

command -v mmdebstrap >/dev/null || {
  echo "check-clean-install: installing mmdebstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap; }
}

unmount_all || die "mounts under $ROOT that could not be removed"
if [[ $REUSE -eq 1 && -e $MARKER && -f $ROOT/etc/debian_version ]]; then
  echo "== bootstrap: reusing $ROOT (Debian $(cat "$ROOT/etc/debian_version"))"
  SECS[bootstrap]=0.0; RESULT[bootstrap]=reused
else
  if [[ -e $ROOT ]]; then
    if is_our_root || [[ -z $(ls -A "$ROOT") ]]; then
      rm -rf --one-file-system -- "$ROOT"
    else
      die "$ROOT exists and is not a root made by this script; remove it or pick another --root"
    fi
  fi
  APT_SOURCES=$(apt_sources)
  run_step bootstrap step_bootstrap || true
fi

declare -a RAN=(bootstrap)
if [[ -z $FAILED_STEP && $STOP_AFTER != bootstrap ]]; then
  mount_root
  for s in copy deps configure build run; do
    RAN+=("$s")
    run_step "$s" "step_$s" || break
    [[ $s != "$STOP_AFTER" ]] || break
  done
fi

echo
printf '%-10s %9s  %s\n' step seconds result
total=0
for s in "${STEPS[@]}"; do
  if [[ -n ${RESULT[$s]:-} ]]; then
    printf '%-10s %9s  %s\n' "$s" "${SECS[$s]}" "${RESULT[$s]}"
    total=$(awk -v a="$total" -v b="${SECS[$s]}" 'BEGIN { printf "%.1f", a + b }')
  elif [[ " ${RAN[*]} " != *" $s "* ]]; then
    printf '%-10s %9s  %s\n' "$s" - "not run"
  fi
done
printf '%-10s %9s\n' total "$total"

if [[ -n $FAILED_STEP ]]; then
  echo
  echo "check-clean-install: step '$FAILED_STEP' FAILED; last 40 lines of $LOGS/$FAILED_STEP.log:"
  tail -n 40 "$LOGS/$FAILED_STEP.log"
  exit 1
fi
echo "check-clean-install: all steps passed (up to $STOP_AFTER)"
