# shellcheck shell=bash
# The project's environment, shared by scripts/test, scripts/run, scripts/demo and scripts/bench.
#
# Home Assistant 2026.10+ needs Python >= 3.14.2. `enter_project_env` finds such a Python and
# uses it as it is; where none exists and the host is a Debian-like system run by root, it
# builds a Debian `testing` root with python3.14 in a cache folder outside the repository
# (debootstrap, once; reused afterwards) and re-runs the calling script inside it with chroot,
# in a private mount namespace (unshare -m), so every mount disappears with the command.
# Either way it ends with the repository's .venv made, the pinned test and demo requirements
# installed, and .venv/bin first on PATH.
#
# Settings (environment variables, all optional):
#   ONENET_PYTHON         a Python >= 3.14.2 to use instead of searching PATH
#   ONENET_CACHE_DIR      where the Debian root lives (default ~/.cache/onenet-m6311)
#   ONENET_DEBIAN_MIRROR  a Debian mirror for debootstrap (default: debootstrap's own)
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_TRUSTED_HOST, HTTP(S)_PROXY, NO_PROXY
#                         passed into the root so pip can use the host's package mirror

ONENET_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
ONENET_CACHE_DIR=${ONENET_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/onenet-m6311}
ONENET_ROOT="$ONENET_CACHE_DIR/debian-testing-root"
ONENET_MIN_PYTHON="3.14.2"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Print the path of the first Python >= 3.14.2 found, or nothing.
find_python() {
  local candidate path
  for candidate in ${ONENET_PYTHON:-} python3.14 python3.15 python3.16 python3; do
    path=$(command -v "$candidate" 2>/dev/null) || continue
    if "$path" -c 'import sys; sys.exit(sys.version_info < (3, 14, 2))' 2>/dev/null; then
      printf '%s\n' "$path"
      return 0
    fi
  done
  return 0
}

# True when this host can build the Debian root: root user, apt/debootstrap, unshare, chroot.
can_build_root() {
  [ "$(id -u)" = 0 ] || return 1
  command -v unshare >/dev/null && command -v chroot >/dev/null || return 1
  command -v debootstrap >/dev/null || command -v apt-get >/dev/null
}

explain_missing_python() {
  cat >&2 <<TXT
error: Home Assistant 2026.10+ needs Python >= $ONENET_MIN_PYTHON, and none was found.
  Either install one (pyenv, uv, your distribution) and put it on PATH or in ONENET_PYTHON,
  or run this command as root on a Debian or Ubuntu host: it then builds a Debian 'testing'
  root with python3.14 under $ONENET_CACHE_DIR (about 100 MB, once) and runs inside it.
TXT
  exit 1
}

build_root() {
  if ! command -v debootstrap >/dev/null; then
    say "Installing debootstrap (apt-get)"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2 \
      || die "could not install debootstrap"
  fi
  local work="$ONENET_ROOT.partial.$$"
  say "Building a Debian testing root with python3.14 in $ONENET_ROOT (once, about a minute)"
  rm -rf "$work"
  # shellcheck disable=SC2086  # the mirror is one optional word
  if ! debootstrap --variant=minbase --include=python3.14,python3.14-venv,ca-certificates \
      testing "$work" ${ONENET_DEBIAN_MIRROR:-} >"$work.log" 2>&1; then
    tail -n 20 "$work.log" >&2
    rm -rf "$work"
    die "debootstrap failed (log above); set ONENET_DEBIAN_MIRROR to a reachable Debian mirror"
  fi
  rm -f "$work.log"
  mv "$work" "$ONENET_ROOT"
}

ensure_root() {
  mkdir -p "$ONENET_CACHE_DIR"
  # One builder at a time: a second command waits for the first one's root.
  exec 9>"$ONENET_CACHE_DIR/.lock"
  flock 9
  [ -x "$ONENET_ROOT/usr/bin/python3.14" ] || build_root
  flock -u 9
  exec 9>&-
  # The host's resolver and CA bundle, fresh each time: pip reaches the index through them.
  cp /etc/resolv.conf /etc/hosts "$ONENET_ROOT/etc/" 2>/dev/null || true
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    cp /etc/ssl/certs/ca-certificates.crt "$ONENET_ROOT/etc/ssl/certs/ca-certificates.crt"
  fi
  mkdir -p "$ONENET_ROOT$ONENET_REPO"
}

# Re-run "$@" (the calling script and its arguments) inside the Debian root.
run_in_root() {
  ensure_root
  local -a keep=(
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    "HOME=/root" "LANG=C.UTF-8" "TERM=${TERM:-dumb}" "ONENET_IN_ROOT=1"
    "PIP_CERT=/etc/ssl/certs/ca-certificates.crt" "PIP_DISABLE_PIP_VERSION_CHECK=1"
  )
  local name
  for name in CI PYTEST_ADDOPTS PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST \
      PIP_DEFAULT_TIMEOUT HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy \
      ONENET_DEMO_HOST ONENET_KEEP_ARTIFACTS ONENET_HA ONENET_DOCS_SCREENSHOTS; do
    [ -n "${!name:-}" ] && keep+=("$name=${!name}")
  done
  # A private mount namespace: the bind mounts end with this command, whatever happens.
  exec unshare --mount --propagation private /bin/bash -c '
    set -e
    root=$1; repo=$2; shift 2
    mount --rbind /dev "$root/dev"
    mount -t proc proc "$root/proc"
    mount --bind "$repo" "$root$repo"
    exec chroot "$root" /usr/bin/env -i "$@"
  ' onenet-root "$ONENET_ROOT" "$ONENET_REPO" "${keep[@]}" /bin/bash -c 'cd "$0" && exec "$@"' \
    "$(working_dir)" "$(realpath "$1")" "${@:2}"
}

# The current folder when it lies inside the repository (visible in the root), else the repository.
working_dir() {
  case "$PWD/" in
    "$ONENET_REPO"/*) printf '%s\n' "$PWD" ;;
    *) printf '%s\n' "$ONENET_REPO" ;;
  esac
}

# The test venvs, one per Home Assistant release (pyproject.toml's dependency groups name the
# versions): .venv, the pinned release, for everything; .venv-oldest, the oldest supported one;
# .venv-newest, the newest on the package index. Each is made once and reused while its Python,
# where it runs and the groups stay the same.
#
# venv_installs NAME: the pip installs that make it, one word each, groups joined by commas.
venv_installs() {
  case $1 in
    .venv) echo "test,demo" ;;
    .venv-oldest) echo "test-oldest" ;;
    # The newest release goes over the harness made for the previous one (which pins that one),
    # so in a second install; scripts/lib/release.py then aligns what it pins.
    .venv-newest) echo "test,demo newest" ;;
    *) die "no such test venv: $1" ;;
  esac
}

# Make the venv NAME ($2) with the Python $1 and install its groups, unless that is already done.
ensure_venv() {
  local python=$1 name=$2 venv="$ONENET_REPO/$2"
  local stamp_want stamp_file="$venv/.onenet-stamp" groups
  # The stamp names the Python, where it runs, and the venv's dependency groups (not the whole
  # pyproject.toml: a lint setting, or another venv's pins, must not cost a reinstall).
  stamp_want=$("$python" - "$ONENET_REPO/pyproject.toml" "${ONENET_IN_ROOT:-host}" "$name" \
    "$(venv_installs "$name")" <<'PY'
import hashlib, sys, tomllib
with open(sys.argv[1], "rb") as file:
    groups = tomllib.load(file)["dependency-groups"]
used = [(name, groups[name]) for name in sys.argv[4].replace(",", " ").split()]
pins = hashlib.sha256(repr(used).encode()).hexdigest()[:16]
print(sys.version.split()[0], sys.argv[2], sys.argv[3], pins)
PY
)
  if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp_want" ]; then
    return 0
  fi
  if [ ! -x "$venv/bin/python" ] || ! grep -qF "${ONENET_IN_ROOT:-host}" "$stamp_file" 2>/dev/null; then
    say "Creating $name with $("$python" --version)"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    printf '%s\n' "${ONENET_IN_ROOT:-host}" >"$stamp_file"
  fi
  mkdir -p "$ONENET_REPO/.cache"
  : >"$ONENET_REPO/$(pip_log "$name")"
  say "Installing the pinned requirements into $name (pip's output: $(pip_log "$name"))"
  pip_install "$name" --upgrade pip
  for groups in $(venv_installs "$name"); do
    # shellcheck disable=SC2046  # one --group per name
    pip_install "$name" $(printf -- '--group %s ' ${groups//,/ })
  done
  if [ "$name" = .venv-newest ]; then
    align_to_release "$name"
  fi
  printf '%s\n' "$stamp_want" >"$stamp_file"
}

# Where the pip runs that make the venv $1 write their whole output, from the repository root (one
# log per venv: scripts/test makes two of them at once).
pip_log() {
  printf '%s\n' ".cache/${1#.}-pip.log"
}

# pip_install NAME ARG...: `pip install ARG...` in the venv NAME, from the repository root (where
# --group finds pyproject.toml). A first install takes a minute or more; scripts/lib/pip_progress.py
# prints a line every ten seconds of how far pip is, passes its warnings and errors through, and
# keeps its whole output in pip_log. In .venv-newest without pip's notice that the harness wants
# other versions: it is made for the previous release and used on the newest knowingly
# (tests/harness_compat.py).
pip_install() {
  local name=$1
  local python="$ONENET_REPO/$name/bin/python"
  shift
  local -a hide=()
  [ "$name" = .venv-newest ] && hide=(--hide-resolver-conflicts)
  (cd "$ONENET_REPO" && "$python" scripts/lib/pip_progress.py --log "$(pip_log "$name")" \
    "${hide[@]}" -- "$python" -m pip install --progress-bar off "$@")
}

# Install, in the venv NAME ($1), the versions its Home Assistant pins for what is installed.
align_to_release() {
  local pins
  pins=$("$ONENET_REPO/$1/bin/python" "$ONENET_REPO/scripts/lib/release.py" misaligned)
  [ -z "$pins" ] && return 0
  # shellcheck disable=SC2086  # one requirement per word
  pip_install "$1" $pins
}

# Enter the project's environment; call as: enter_project_env "$0" "$@"
enter_project_env() {
  local python
  if [ -n "${ONENET_IN_ROOT:-}" ]; then
    python=/usr/bin/python3.14
  else
    python=$(find_python)
    if [ -z "$python" ]; then
      can_build_root || explain_missing_python
      run_in_root "$@"
    fi
  fi
  ensure_venv "$python" .venv
  ONENET_BASE_PYTHON=$python
  export VIRTUAL_ENV="$ONENET_REPO/.venv"
  export PATH="$VIRTUAL_ENV/bin:$PATH"
}

# Debian packages, each given as PACKAGE:FILE and installed once with apt-get where FILE (a
# glob) is missing: `chromium` for the browser test (tests/e2e/test_browser.py; Playwright is
# pointed at it and never downloads a browser) and `fonts-wqy-zenhei`, a CJK font, without which
# it draws the texts of the test's Chinese run as boxes (Debian's Chromium brings none);
# `ffmpeg` and `libturbojpeg0`, which a real `hass` uses at every start (its voice pipeline runs
# ffmpeg, its camera component loads libturbojpeg; both set up by default) and logs an error
# without. Home Assistant's own images ship both.
ensure_system_packages() {
  local -a missing=()
  local item
  for item in "$@"; do
    compgen -G "${item#*:}" >/dev/null || missing+=("${item%%:*}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    die "a real hass here needs ${missing[*]}: apt-get install ${missing[*]}"
  fi
  say "Installing Debian's ${missing[*]} (apt-get, once)"
  # The Debian root's package lists may come from a mirror whose Release file has expired.
  local -a opts=(-o Acquire::Check-Valid-Until=false -qq)
  apt-get "${opts[@]}" update >&2 \
    && DEBIAN_FRONTEND=noninteractive apt-get "${opts[@]}" install -y --no-install-recommends \
      "${missing[@]}" >/dev/null \
    || die "could not install ${missing[*]}"
}

# What a real `hass` needs of the system (see ensure_system_packages), for the demo and soak.
HASS_SYSTEM_PACKAGES=(ffmpeg:/usr/bin/ffmpeg "libturbojpeg0:/usr/lib/*/libturbojpeg.so.0")
# What the browser test needs beside it: the browser, and a font for Chinese.
BROWSER_SYSTEM_PACKAGES=(chromium:/usr/bin/chromium
  fonts-wqy-zenhei:/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc)
