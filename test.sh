#!/usr/bin/env bash
# Runs every OpsConsole test. On a fresh Debian machine it first installs what the tests use
# and nobody should have to install by hand: Chromium (browser tests), libcoap's command-line
# client (an independent CoAP peer) and Node/npm (the build installs Leaflet from npm).
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v coap-client-notls >/dev/null 2>&1 || missing+=(libcoap3-bin)
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]} with apt-get"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

mkdir -p artifacts
log=artifacts/test-output.log
set +e
dotnet test OpsConsole.sln --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

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
