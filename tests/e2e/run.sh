#!/usr/bin/env bash
# GridMate end-to-end run: builds the UI, the desktop app (debug, custom protocol), the console,
# the server and the CLI; starts Xvfb and tauri-driver (which starts WebKitWebDriver) and
# chromedriver (headless Chromium, for the console); runs the E2E crate
# (tests/e2e, outside the main workspace); stops what it started, by PID; exits with the tests'
# status. Idempotent: re-running rebuilds only what changed.
#
# Needs the system packages of docs (.ci/run installs them): libwebkit2gtk-4.1-dev and friends,
# xvfb, webkit2gtk-driver. Env:
#   E2E_SCREENSHOTS     where screenshots go (default tests/e2e/target/e2e-screenshots)
#   E2E_SKIP_BUILD=1    reuse the binaries already built (quick reruns of the tests only)
#   E2E_UPDATE_DOCS=1   after a green run, copy the screenshots into docs/screenshots/
#   CARGO_TARGET_DIR    the main workspace's target dir (default target/): the app, server and CLI
#                       are taken from its debug/ folder
#   E2E_TARGET_DIR      the E2E crate's own target dir (default tests/e2e/target)
#   extra arguments     passed to `cargo test` before `--` (e.g. `--test smoke`)
set -euo pipefail

e2e_dir="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$e2e_dir/../.." && pwd)"
cd "$root"
main_target="${CARGO_TARGET_DIR:-$root/target}"
case "$main_target" in /*) ;; *) main_target="$root/$main_target" ;; esac

log() { printf '[run.sh] %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

# 1. tauri-driver
if ! command -v tauri-driver >/dev/null 2>&1; then
  log "installing tauri-driver"
  cargo install tauri-driver --locked --version ^2
fi
for tool in Xvfb WebKitWebDriver chromium chromedriver; do
  command -v "$tool" >/dev/null 2>&1 || { log "$tool not found: install xvfb, webkit2gtk-driver, chromium and chromium-driver (scripts/lib/system-packages.sh)"; exit 1; }
done

# 2. Builds
if [ "${E2E_SKIP_BUILD:-0}" != 1 ]; then
  (
    cd ui
    [ package-lock.json -ot node_modules/.package-lock.json ] || npm ci
    npm run build
    # @tauri-apps/cli should be a devDependency of ui (then `npx tauri` is local and pinned).
    if [ -x node_modules/.bin/tauri ]; then tauri=(npx tauri); else
      log "ui has no @tauri-apps/cli devDependency; using npx --yes @tauri-apps/cli@2.12"
      tauri=(npx --yes @tauri-apps/cli@2.12)
    fi
    TAURI_APP_PATH=../src-tauri "${tauri[@]}" build --debug --no-bundle
  )
  # The command-centre console, which the server serves from console/dist.
  (
    cd console
    [ package-lock.json -ot node_modules/.package-lock.json ] || npm ci --no-audit --no-fund
    npm run build
  )
  cargo build -p gridmate-server -p gridmate-core
fi

# The tests run on a snapshot of the binaries (hard links, so no copy of ~300 MB): another build in
# the shared target/ cannot swap the app under a running test.
debug_dir="$main_target/debug"
bin_dir="$e2e_dir/target/bin"
mkdir -p "$bin_dir"
for b in gridmate-app gridmate-server gridmate; do
  [ -x "$debug_dir/$b" ] || { log "$debug_dir/$b missing (build failed?)"; exit 1; }
  ln -f "$debug_dir/$b" "$bin_dir/$b" 2>/dev/null || cp -f "$debug_dir/$b" "$bin_dir/$b"
done
export GRIDMATE_E2E_BIN_DIR="$bin_dir"
# The E2E crate keeps its own target dir even when the main workspace's is elsewhere: its build
# never waits on the main workspace's lock.
export CARGO_TARGET_DIR="${E2E_TARGET_DIR:-$e2e_dir/target}"

# The test crate is built before the display starts (it is the slow part of a cold run).
(cd "$e2e_dir" && cargo test --no-run --quiet)

# 3. Xvfb + tauri-driver
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
display_num=99
while [ -e "/tmp/.X${display_num}-lock" ] || [ -e "/tmp/.X11-unix/X${display_num}" ]; do display_num=$((display_num + 1)); done
wd_port=4444; port_free "$wd_port" || wd_port=$(free_port)
native_port=4445; { port_free "$native_port" && [ "$native_port" != "$wd_port" ]; } || native_port=$(free_port)

logs="$e2e_dir/target/logs"
mkdir -p "$logs"
xvfb_pid="" driver_pid="" chromedriver_pid=""
cleanup() {
  local rc=$?
  if [ -n "$chromedriver_pid" ]; then
    # chromedriver's Chromium processes first, then chromedriver itself.
    pkill -P "$chromedriver_pid" 2>/dev/null || true
    kill "$chromedriver_pid" 2>/dev/null || true
    wait "$chromedriver_pid" 2>/dev/null || true
  fi
  if [ -n "$driver_pid" ]; then
    # tauri-driver's WebKitWebDriver child (and anything it still runs) first: killing tauri-driver
    # alone leaves it behind.
    for child in $(pgrep -P "$driver_pid" 2>/dev/null || true); do
      for grandchild in $(pgrep -P "$child" 2>/dev/null || true); do kill "$grandchild" 2>/dev/null || true; done
      kill "$child" 2>/dev/null || true
    done
    kill "$driver_pid" 2>/dev/null || true
    wait "$driver_pid" 2>/dev/null || true
  fi
  if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; wait "$xvfb_pid" 2>/dev/null || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

Xvfb ":$display_num" -screen 0 1280x1024x24 -nolisten tcp >"$logs/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${display_num}" ] && break; sleep 0.1; done
[ -e "/tmp/.X11-unix/X${display_num}" ] || { log "Xvfb did not start (see $logs/xvfb.log)"; exit 1; }

DISPLAY=":$display_num" tauri-driver --port "$wd_port" --native-port "$native_port" >"$logs/tauri-driver.log" 2>&1 &
driver_pid=$!
for _ in $(seq 100); do port_free "$wd_port" || break; sleep 0.1; done
port_free "$wd_port" && { log "tauri-driver did not listen on $wd_port (see $logs/tauri-driver.log)"; exit 1; }
log "Xvfb :$display_num (pid $xvfb_pid), tauri-driver :$wd_port -> WebKitWebDriver :$native_port (pid $driver_pid)"

# chromedriver for the console's test (headless Chromium needs no display).
cd_port=$(free_port)
chromedriver --port="$cd_port" >"$logs/chromedriver.log" 2>&1 &
chromedriver_pid=$!
for _ in $(seq 100); do port_free "$cd_port" || break; sleep 0.1; done
port_free "$cd_port" && { log "chromedriver did not listen on $cd_port (see $logs/chromedriver.log)"; exit 1; }
log "chromedriver :$cd_port (pid $chromedriver_pid)"
export GRIDMATE_E2E_CHROMEDRIVER="http://127.0.0.1:$cd_port"

export GRIDMATE_E2E_WEBDRIVER="http://127.0.0.1:$wd_port"
export E2E_SCREENSHOTS="${E2E_SCREENSHOTS:-$e2e_dir/target/e2e-screenshots}"
mkdir -p "$E2E_SCREENSHOTS"
rm -f "$E2E_SCREENSHOTS"/FAILED.*   # the window at a previous failure
export DISPLAY=":$display_num"

status=0
(cd "$e2e_dir" && cargo test "$@" -- --test-threads=1 --nocapture) || status=$?

log "screenshots: $E2E_SCREENSHOTS"
if [ "$status" = 0 ] && [ "${E2E_UPDATE_DOCS:-0}" = 1 ]; then
  mkdir -p docs/screenshots
  cp -f "$E2E_SCREENSHOTS"/*.png docs/screenshots/
  log "copied into docs/screenshots/"
fi
log "logs: $logs (app logs under each test's temp folder are printed on failure)"
exit "$status"
