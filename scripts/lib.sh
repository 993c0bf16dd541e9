# shellcheck shell=bash disable=SC2034  # its variables are used by the scripts that source it
# Shared by scripts/setup, scripts/test, scripts/develop and scripts/browser_test (sourced, not run).
#
# Three environments, each a venv under .venv/:
#   min     Home Assistant 2026.2.3  on Python 3.13    (requirements/test-min.txt)   pytest
#   newest  Home Assistant 2026.10.4 on Python 3.14.2+ (requirements/test-newest.txt) pytest
#   demo    Home Assistant, the newest release on the package index (pinned in requirements/demo.txt),
#           on Python 3.14.2+: scripts/develop and the browser test
# The two pytest versions are those the test plugin pins; the demo's is free to run ahead of them.
# Where no Python >= 3.14.2 is installed (Debian 12), "newest" and "demo" live in a chroot with
# Debian's Python 3.14 that shares this checkout, through a wrapper: `py314 run CMD...` runs CMD
# there. Every command for them is then prefixed with it (see use_env). The wrapper is $PY314 if set,
# else `py314` on PATH, else the first tools/py314 in a folder beside the checkout (where this
# project's CI machines keep it).

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo" || exit 2

uv_version=0.13.9
uv=$repo/.venv/tools/bin/uv  # an ordinary binary: also runs inside the py314 chroot
py314=${PY314:-$(command -v py314 || true)}
if [[ -z $py314 ]]; then
  for py314 in "$repo"/../*/tools/py314 ""; do [[ -x $py314 ]] && break; done
fi
export UV_PYTHON_DOWNLOADS=never  # only PyPI is reachable: never fetch a standalone Python
# In the checkout so that, inside the chroot too, cache and venvs share one mount and uv can
# hardlink instead of copying.
export UV_CACHE_DIR=${UV_CACHE_DIR:-$repo/.venv/uv-cache}

die() { echo "error: $*" >&2; exit 2; }

# Versions named by the first argument: min, newest or all (the default), the ones pytest runs on.
versions() {
  case ${1:-all} in
    all) echo min newest ;;
    min | newest) echo "$1" ;;
    *) die "unknown version '$1' (expected min, newest or all)" ;;
  esac
}

# Microseconds since the epoch, and the seconds since such a time, e.g. "12.3".
now_us() { echo "${EPOCHREALTIME/./}"; }
since() { local t=$(( ($(now_us) - $1) / 100000 )); echo "$((t / 10)).$((t % 10))"; }

# py_ok PY MIN: PY runs and is at least version MIN (a pyenv shim may exist but not run).
py_ok() {
  "$1" -c 'import sys; sys.exit(sys.version_info[:3] < tuple(map(int, sys.argv[1].split("."))))' \
    "$2" >/dev/null 2>&1
}

# first_python MIN NAME: NAME on PATH, else pyenv's NAME (newest first), if at least MIN.
first_python() {
  local pyenv_root candidate
  pyenv_root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
  for candidate in $(command -v "$2") \
    $(printf '%s\n' "$pyenv_root"/versions/*/bin/"$2" | sort -rV); do
    if [[ -x $candidate ]] && py_ok "$candidate" "$1"; then echo "$candidate"; return 0; fi
  done
  return 1
}

# use_env VERSION sets, for that environment:
#   venv  its directory             req   its requirements file
#   py    the Python to build it    run   the command prefix (array): empty, or py314 run
#   needs the Python its Home Assistant asks for
# and `in_env CMD...` runs CMD in the checkout, through the prefix.
use_env() {
  venv=.venv/$1
  req=requirements/test-$1.txt
  [[ $1 == demo ]] && req=requirements/demo.txt
  run=()
  case $1 in
    min)
      needs=3.13.2
      # 3.13.0 is what Debian-12 machines here have; HA's 3.13.2 floor is bypassed in setup.
      py=$(first_python 3.13.0 python3.13) || die "min needs python3.13 (on PATH or in pyenv)"
      ;;
    newest | demo)
      needs=3.14.2
      if ! py=$(first_python "$needs" python3.14); then
        [[ -n $py314 ]] || die "$1 needs python3.14 >= $needs, or a py314 wrapper (set PY314)"
        run=("$py314" run)
        py=/usr/bin/python3.14
      fi
      ;;
  esac
}
in_env() { "${run[@]}" "$@"; }
