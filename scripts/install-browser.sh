#!/usr/bin/env bash
# Installs the headless browser the report tests drive (SweepReportBrowserTest): Debian's
# chromium and chromium-driver, at /usr/bin/chromium and /usr/bin/chromedriver.
# Idempotent: returns at once when both are installed. Needs root (or sudo) and apt-get.
set -euo pipefail
if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  exit 0
fi
command -v apt-get >/dev/null || { echo "install-browser.sh: apt-get not found; install chromium and chromedriver by hand" >&2; exit 1; }
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null || { echo "install-browser.sh: run as root (or install sudo) to apt-get install chromium chromium-driver" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale on a fresh image: refresh them only when the first try fails.
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver \
  || { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends chromium chromium-driver; }
/usr/bin/chromium --version
