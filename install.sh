#!/usr/bin/env bash
# Hearthguard installer.
#
#   ./install.sh              set up .venv and the data directory, then run Hearthguard
#   ./install.sh --no-start   set everything up, but do not start
#   ./install.sh --test       also install what the tests need, then run the whole suite
#   sudo ./install.sh --service [--mode SPEC]...
#                             install as a system service: user "hearthguard", /opt/hearthguard,
#                             data in /var/lib/hearthguard, systemd unit hearthguard.service;
#                             --mode as for `hearthguard run` (e.g. --mode dns@53), kept when
#                             re-run without it; a port below 1024 gives the unit that right
#
# Re-running is safe: what exists is kept and brought up to date.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MIN_PYTHON="3.11"
UT1_URL="http://dsi.ut-capitole.fr/blacklists/download/blacklists.tar.gz"
ACTION=run
# Debian packages the test suite needs beyond a minimal Debian 12: the browser, and every
# library the browser driver links that a minimal system lacks (tests/test_install.py checks).
# dnsutils, nftables, wireguard-tools, wireguard-go: the DNS-mode, gateway and WireGuard tests;
# systemd: systemd-analyze verifies the service unit (tests/test_service_unit.py)
TEST_APT_PACKAGES="chromium libatomic1 dnsutils nftables wireguard-tools wireguard-go systemd"
ROOT=""          # --root DIR: write the service files below DIR (used by tests), touch nothing else
MODES=()         # --mode SPEC, repeatable: the modes the service runs (default: as before, or regular)

say() { printf 'hearthguard: %s\n' "$*"; }
die() { printf 'hearthguard: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case $1 in
    --test) ACTION=test ;;
    --no-start) ACTION=setup ;;
    --service) ACTION=service ;;
    --root) shift; [ $# -gt 0 ] || die "--root needs a directory"; ROOT=$1 ;;
    --mode)
      shift
      # mode[:data][@[host:]port], as mitmproxy reads it; nothing else reaches the unit file
      if [ $# -eq 0 ] || ! [[ $1 =~ ^[a-z0-9]+(:[A-Za-z0-9_./-]+)?(@([A-Za-z0-9_.:-]+:)?[0-9]{1,5})?$ ]]; then
        printf 'hearthguard: --mode needs a mode like regular, transparent@8082 or dns@53\n' >&2
        exit 2
      fi
      MODES+=("$1") ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "this step needs root: $*"
  fi
}

apt_install() {  # install Debian packages that are missing
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "please install: ${missing[*]}"
  say "installing system packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

apt_install_optional() {  # nice to have (ieee-data: MAC vendors in the dashboard); never fatal
  ( apt_install "$@" ) || say "optional packages not installed: $* (Hearthguard works without them)"
}

find_python() {
  local candidate found=""
  for candidate in ${PYTHON:-} python3.13 python3.12 python3.11 python3; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
    found="$found $("$candidate" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo "$candidate")"
  done
  die "Hearthguard needs Python $MIN_PYTHON or newer (found:${found:- none}).
On Debian 12 or Raspberry Pi OS: sudo apt install python3 python3-venv"
}

make_venv() {  # make_venv DIR EXTRAS
  local venv=$1 extras=$2 python
  python=$(find_python)
  if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
      apt_install python3-venv
    fi
    say "creating $venv with $python"
    "$python" -m venv "$venv" || die "could not create $venv (on Debian: sudo apt install python3-venv)"
  fi
  say "installing Hearthguard into $venv"
  # the setuptools a new venv carries (65.5 on Python 3.11) has known advisories
  # (CVE-2022-40897, CVE-2024-6345; README "Dependencies"); Hearthguard never imports it
  "$venv/bin/python" -m pip install --quiet --upgrade pip "setuptools>=70" >/dev/null 2>&1 || true
  "$venv/bin/python" -m pip install --quiet --editable "$HERE$extras" \
    || die "installing Python packages failed (see the messages above)"
}

download_full_lists() {  # download_full_lists HEARTHGUARD DATA_DIR
  # The bundled default lists work offline; real installs also fetch the full UT1 lists once
  # (the running service then refreshes them daily). HEARTHGUARD_OFFLINE=1 skips the attempt.
  local hg=$1 data=$2
  [ -n "${HEARTHGUARD_OFFLINE:-}" ] && { say "offline: using the bundled default lists"; return 0; }
  if "$hg" lists status --json --data-dir "$data" | grep -q '"source": "http'; then return 0; fi
  say "downloading the full UT1 category lists (about 20 MB; this takes a few minutes)"
  if ! "$hg" lists import "$UT1_URL" --name ut1 --data-dir "$data"; then
    say "could not download the UT1 lists; Hearthguard uses its bundled default lists for now."
    say "try again later with: $hg lists import $UT1_URL --name ut1"
  fi
}

record_data_dir() {  # record_data_dir VENV DATA_DIR: where the installed `hearthguard` finds
  # its household when run from any folder without --data-dir (read by policy/datadir.py)
  mkdir -p "$1"
  printf '%s\n' "$2" > "$1/hearthguard-data-dir.tmp"
  mv "$1/hearthguard-data-dir.tmp" "$1/hearthguard-data-dir"
}

mode_port() {  # mode_port SPEC: the port a mode listens on (mitmproxy's defaults without @PORT)
  local spec=$1
  case $spec in
    *@*) spec=${spec##*@}; printf '%s\n' "${spec##*:}" ;;
    dns*) echo 53 ;;
    wireguard*) echo 51820 ;;
    *) echo 8080 ;;  # regular, transparent, socks5, upstream: `hearthguard run`'s proxy port
  esac
}

unit_capabilities() {  # the capabilities the modes need: binding a port below 1024, nothing else
  # (transparent mode reads SO_ORIGINAL_DST and WireGuard runs in user space: neither needs
  # CAP_NET_ADMIN; the firewall rules are loaded by root, outside the service)
  local spec
  for spec in "${MODES[@]}"; do
    if [ "$(mode_port "$spec")" -lt 1024 ]; then echo CAP_NET_BIND_SERVICE; return 0; fi
  done
}

render_unit() {  # the systemd unit, to stdout
  local modes="" spec caps
  for spec in "${MODES[@]}"; do modes="$modes --mode $spec"; done
  caps=$(unit_capabilities)
  cat <<EOF
[Unit]
Description=Hearthguard household filtering proxy
Documentation=file:///opt/hearthguard/src/README.md
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=hearthguard
Group=hearthguard
Environment=HEARTHGUARD_DATA_DIR=/var/lib/hearthguard
ExecStart=/opt/hearthguard/venv/bin/hearthguard run --data-dir /var/lib/hearthguard$modes
Restart=on-failure
RestartSec=5
StateDirectory=hearthguard
StateDirectoryMode=0700
UMask=0077
${caps:+AmbientCapabilities=$caps
}CapabilityBoundingSet=$caps
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=/var/lib/hearthguard
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
EOF
}

install_service() {
  local unit_dir="$ROOT/etc/systemd/system" opt="$ROOT/opt/hearthguard" data="$ROOT/var/lib/hearthguard"
  if [ -z "$ROOT" ]; then
    [ "$(id -u)" = 0 ] || die "--service needs root: sudo ./install.sh --service"
    command -v systemctl >/dev/null 2>&1 || die "--service needs systemd (systemctl not found)"
    if ! id hearthguard >/dev/null 2>&1; then
      say "creating system user hearthguard"
      useradd --system --home-dir /var/lib/hearthguard --shell /usr/sbin/nologin hearthguard
    fi
  fi
  mkdir -p "$unit_dir" "$opt" "$data"
  chmod 0700 "$data"
  if [ -z "$ROOT" ]; then
    rm -rf "$opt/src" && cp -a "$HERE" "$opt/src" && rm -rf "$opt/src/.venv" "$opt/src/data"
    apt_install_optional ieee-data
    HERE="$opt/src" make_venv "$opt/venv" ""
    "$opt/venv/bin/hearthguard" init --data-dir "$data"
    download_full_lists "$opt/venv/bin/hearthguard" "$data"
    chown -R hearthguard:hearthguard "$data"
  fi
  record_data_dir "$opt/venv" /var/lib/hearthguard
  if [ ${#MODES[@]} -eq 0 ] && [ -f "$unit_dir/hearthguard.service" ]; then
    # re-run without --mode: keep the modes the unit already runs
    read -r -a MODES <<< "$(sed -n 's/^ExecStart=.* --data-dir [^ ]*//p' "$unit_dir/hearthguard.service" | sed 's/--mode //g')"
  fi
  render_unit > "$unit_dir/hearthguard.service.tmp"
  mv "$unit_dir/hearthguard.service.tmp" "$unit_dir/hearthguard.service"
  say "wrote $unit_dir/hearthguard.service"
  if [ -z "$ROOT" ]; then
    systemctl daemon-reload
    systemctl enable --now hearthguard.service
    say "Hearthguard is running: journalctl -u hearthguard -f shows the setup link"
  fi
}

case $ACTION in
  service)
    install_service
    ;;
  test)
    # shellcheck disable=SC2086
    apt_install $TEST_APT_PACKAGES
    apt_install_optional ieee-data
    make_venv "$HERE/.venv" "[test]"
    cd "$HERE"
    say "ruff"
    .venv/bin/ruff check .
    say "mypy"
    .venv/bin/mypy classifier policy proxy_addons dashboard hearthguard ui
    say "tests"
    exec .venv/bin/python -m pytest -q
    ;;
  setup|run)
    make_venv "$HERE/.venv" ""
    DATA_DIR=$(realpath -m "${HEARTHGUARD_DATA_DIR:-$HERE/data}")
    "$HERE/.venv/bin/hearthguard" init --data-dir "$DATA_DIR"
    record_data_dir "$HERE/.venv" "$DATA_DIR"
    download_full_lists "$HERE/.venv/bin/hearthguard" "$DATA_DIR"
    if [ "$ACTION" = setup ]; then
      say "ready. Start with: $HERE/.venv/bin/hearthguard run --data-dir $DATA_DIR"
      exit 0
    fi
    exec "$HERE/.venv/bin/hearthguard" run --data-dir "$DATA_DIR"
    ;;
esac
