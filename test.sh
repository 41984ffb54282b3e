#!/usr/bin/env bash
# Runs every OpsConsole test. On a fresh Debian machine it first installs what the tests use
# and nobody should have to install by hand: Chromium (browser tests), libcoap's command-line
# client (an independent CoAP peer), Node/npm (the build installs Leaflet from npm) and
# pyca/cryptography for Debian's python3 (the independent frame encoder of the Engine tests).
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v coap-client-notls >/dev/null 2>&1 || missing+=(libcoap3-bin)
/usr/bin/python3 -c 'import cryptography' >/dev/null 2>&1 || missing+=(python3-cryptography)
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]} with apt-get"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

mkdir -p artifacts
log=artifacts/test-output.log
: >"$log"
status=0

# Parallelism, chosen (two cores): build once, then run the test projects in three phases, so the
# UDP and browser tests never compete with other test projects for the CPU (a starved head-end
# misses single-datagram waits). Phase 1: the unit-level projects together; phase 2: the server
# tests alone; phase 3: the browser tests alone. Within a project xunit's own defaults apply
# (test classes in parallel, two threads; the browser tests one at a time).
phase() { # phase NAME PROJECT...: runs the projects at once, each with its own log, appended in order
  local name=$1 started=$SECONDS pids=() p summary
  shift
  for p in "$@"; do
    dotnet test "$p" --no-build --logger "console;verbosity=normal" >"artifacts/$(basename "$p").log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do
    wait "$p" || status=1
  done
  for p in "$@"; do
    cat "artifacts/$(basename "$p").log" >>"$log"
    summary=$(grep -E '^Total tests: |^ +(Passed|Failed|Skipped): [0-9]+$' "artifacts/$(basename "$p").log" | tr -s ' ' | paste -sd' ' || true)
    echo "test.sh: $(basename "$p"): ${summary:-no result}"
    # A failure is named here, with its message, so whoever sees only this output (CI) knows which test and why.
    grep -E -A6 '^  Failed [A-Za-z]' "artifacts/$(basename "$p").log" | grep -v -E '^\s+at |^--$' | head -40 | sed 's/^/test.sh:   /' || true
  done
  echo "test.sh: phase $name took $((SECONDS - started)) s"
}

started=$SECONDS
if dotnet build OpsConsole.sln 2>&1 | tee -a "$log"; test "${PIPESTATUS[0]}" -eq 0; then
  echo "test.sh: build took $((SECONDS - started)) s"
  phase unit tests/Engine.Tests tests/Gis.Tests tests/AmiTestUtility.Tests
  phase server tests/Server.Tests
  phase browser tests/Browser.Tests
else
  status=1
fi
echo "test.sh: wall time $((SECONDS - started)) s"

# One plain closing line over all test projects: "Tests: N passed, N failed, N skipped".
awk '
  /^Total tests: /          { runs++ }
  /^ +Passed: [0-9]+$/      { p += $2 }
  /^ +Failed: [0-9]+$/      { f += $2 }
  /^ +Skipped: [0-9]+$/     { s += $2 }
  END { if (runs == 0) { print "test.sh: no test project reported results" > "/dev/stderr"; exit 1 }
        printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }
' "$log"
exit "$status"
