#!/bin/sh
# Makes sure the Debian/Ubuntu packages named as arguments are installed (the Makefile's RUN_PACKAGES
# and TEST_PACKAGES say which, and why). Missing ones are installed with apt-get as root, or through
# sudo when it asks for no password; otherwise this stops at once with the one command to run, so that
# a missing library never turns into dozens of test failures.
#
# "chromium" stands for the browser the tests drive, $CHROMIUM (default /usr/bin/chromium, as in
# conftest.py): when that is a working executable the package is not needed. On Ubuntu apt's chromium
# only installs the snap, which does not run in containers, so it is never installed from apt there.
set -eu

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
OS_RELEASE="${OS_RELEASE:-/etc/os-release}"

if [ "${SKIP_SYSTEM_PACKAGES:-}" = 1 ]; then
  echo "SKIP_SYSTEM_PACKAGES=1: not checking $*"
  exit 0
fi

what_for() {
  case "$1" in
    libpango-1.0-0 | libpangoft2-1.0-0) echo "Pango: WeasyPrint lays out the PDFs with it" ;;
    libharfbuzz-subset0) echo "HarfBuzz subset: WeasyPrint embeds fonts with it (without it, a warning on every PDF)" ;;
    fonts-dejavu-core) echo "DejaVu fonts: the PDFs' typeface" ;;
    poppler-utils) echo "pdftotext and pdftoppm: the tests read the PDFs with them" ;;
    chromium) echo "Chromium: the browser tests drive it through Playwright (\$CHROMIUM, default /usr/bin/chromium)" ;;
    *) echo "" ;;
  esac
}

list_packages() {
  for pkg in "$@"; do
    echo "  - $pkg: $(what_for "$pkg")"
  done
}

installed() {
  # "dpkg -s" also answers for a removed package whose configuration files remain: read its status.
  dpkg -s "$1" 2>/dev/null | grep -qx 'Status: install ok installed'
}

is_snap_shim() {
  target=$(readlink -f "$1" 2>/dev/null || printf '%s' "$1")
  case "$target" in /snap/* | */bin/snap) return 0 ;; esac
  [ "$(head -c 2 "$target" 2>/dev/null)" = "#!" ] && grep -q "/snap/" "$target"
}

chromium_works() {
  [ -f "$CHROMIUM" ] && [ -x "$CHROMIUM" ] && ! is_snap_shim "$CHROMIUM"
}

os_id="" os_like="" os_name="this system"
if [ -r "$OS_RELEASE" ]; then
  os_id=$(. "$OS_RELEASE" && printf '%s' "${ID:-}")
  os_like=$(. "$OS_RELEASE" && printf '%s' "${ID_LIKE:-}")
  os_name=$(. "$OS_RELEASE" && printf '%s' "${PRETTY_NAME:-${ID:-this system}}")
fi
case " $os_id $os_like " in *" ubuntu "*) ubuntu=true ;; *) ubuntu=false ;; esac

if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "Clinic needs these system packages (Debian names); make installs them only on Debian and Ubuntu,"
  echo "and $os_name has no dpkg and apt-get:"
  list_packages "$@"
  echo "Install their equivalents with your package manager (for Chromium, set CHROMIUM to its path),"
  echo "then run make again with SKIP_SYSTEM_PACKAGES=1."
  exit 1
fi

packages="" chromium_problem=""
for pkg in "$@"; do
  if [ "$pkg" != chromium ]; then
    packages="$packages $pkg"
  elif chromium_works; then
    :
  elif $ubuntu; then
    chromium_problem=$(cat <<MSG
No usable Chromium at $CHROMIUM. On $os_name the apt package chromium (chromium-browser) only
installs the snap, which does not run in containers or under Playwright, so make does not install it.
Install a Chromium or Google Chrome that is a plain .deb, e.g. Google Chrome:
    wget https://dl.google.com/linux/direct/google-chrome-stable_current_amd64.deb
    sudo apt-get install -y ./google-chrome-stable_current_amd64.deb
and tell the tests where it is:
    make test CHROMIUM=/usr/bin/google-chrome
MSG
)
  elif [ "$CHROMIUM" = /usr/bin/chromium ]; then
    packages="$packages chromium"
  else
    chromium_problem="CHROMIUM=$CHROMIUM is not an executable file (unset CHROMIUM to use /usr/bin/chromium from apt)."
  fi
done

missing=""
for pkg in $packages; do
  installed "$pkg" || missing="$missing $pkg"
done
missing="${missing# }"

if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo"
  else
    if command -v sudo >/dev/null 2>&1; then
      command="sudo apt-get update && sudo apt-get install -y $missing"
    else
      command="su -c 'apt-get update && apt-get install -y $missing'"
    fi
    echo "Missing system packages:"
    # shellcheck disable=SC2086
    list_packages $missing
    echo "make installs them as root or with passwordless sudo; here it cannot. Run:"
    echo ""
    echo "    $command"
    echo ""
    echo "then run make again."
    if [ -n "$chromium_problem" ]; then
      echo ""
      echo "$chromium_problem"
    fi
    exit 1
  fi
  echo "Installing system packages: $missing${as_root:+ (through sudo)}"
  # Another apt-get (CI, a colleague's make) may hold the lock: wait for it rather than fail.
  $as_root apt-get -o DPkg::Lock::Timeout=300 update -qq
  # shellcheck disable=SC2086
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq $missing >/dev/null
  for pkg in $missing; do
    installed "$pkg" || { echo "apt-get did not install $pkg."; exit 1; }
  done
  echo "Installed: $missing"
fi

if [ -n "$chromium_problem" ]; then
  echo "$chromium_problem"
  exit 1
fi
