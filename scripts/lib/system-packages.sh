# Sourced by scripts/run and scripts/test (which .ci/run calls): the Debian packages GridMate
# needs, and `ensure_system_packages`, which installs the missing ones (as root directly, through
# sudo when it is there) or stops naming the one command to run. Idempotent: `dpkg -s` skips what
# is there.

# Tauri 2 on Linux (WebKitGTK 4.1 and friends), a C toolchain for the bundled SQLite, and what the
# end-to-end test of the real app needs (Xvfb, WebKitWebDriver); a CJK font, without which a
# fresh machine draws every Chinese character of the app as an empty box. Chromium and its
# WebDriver for the end-to-end test of the command-centre console.
GRIDMATE_APT_PACKAGES=(
  build-essential pkg-config curl wget file libssl-dev python3
  libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev
  libayatana-appindicator3-dev libxdo-dev
  xvfb webkit2gtk-driver fonts-noto-cjk
  chromium chromium-driver
)

# ensure_system_packages [PACKAGE...]: installs the missing ones among GRIDMATE_APT_PACKAGES and
# the arguments; returns non-zero (after saying what to run) when it cannot.
ensure_system_packages() {
  local wanted=("${GRIDMATE_APT_PACKAGES[@]}" "$@") missing=() p
  command -v dpkg >/dev/null 2>&1 || {
    echo "not a Debian-like system (no dpkg): install the equivalents of: ${wanted[*]}" >&2
    return 0
  }
  for p in "${wanted[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo)
    elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
      sudo=(sudo)   # asks for the password on this terminal
    else
      echo "missing Debian packages; run this once, then again the command you ran:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
      return 1
    fi
  fi
  echo "== installing Debian packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}
