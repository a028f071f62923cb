#!/usr/bin/env bash
# Installs what the test suite needs and is missing; prints nothing when
# everything is already there.
#
#   Debian packages: chromium (browser tests), redis-server (Redis broker
#                    tests), gcc (go test -race needs cgo)
#   npm packages:    jsclient/node_modules from jsclient/package-lock.json
#
# Debian packages are installed with apt-get when run as root, else with
# `sudo -n apt-get`. When neither is possible the script says what is missing
# and goes on (the tests that need it skip), except under CI (CI set and
# non-empty), where a missing tool is an error: a green CI means every test ran.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'install-deps: %s\n' "$*" >&2; }

# fail_or_warn MESSAGE: error under CI, warning locally.
fail_or_warn() {
	if [[ -n "${CI:-}" ]]; then
		log "ERROR: $*"
		exit 1
	fi
	log "WARNING: $* (tests that need it will skip)"
}

have() { command -v "$1" >/dev/null 2>&1; }

# --- Debian packages -------------------------------------------------------

# Debian package name -> a command that proves it is installed.
declare -A probe=(
	[chromium]=chromium
	[redis-server]=redis-server
	[gcc]=gcc
)

missing=()
for pkg in chromium redis-server gcc; do
	have "${probe[$pkg]}" || missing+=("$pkg")
done

if ((${#missing[@]})); then
	apt=()
	if [[ $(id -u) -eq 0 ]]; then
		apt=(apt-get)
	elif have sudo && sudo -n true 2>/dev/null; then
		apt=(sudo -n apt-get)
	fi
	if ! have apt-get; then
		fail_or_warn "missing ${missing[*]} and apt-get is not available; install them by hand"
	elif ((${#apt[@]} == 0)); then
		fail_or_warn "missing ${missing[*]}; not root and no password-less sudo: run 'sudo apt-get install ${missing[*]}'"
	else
		log "installing ${missing[*]} with ${apt[*]}"
		export DEBIAN_FRONTEND=noninteractive
		"${apt[@]}" -qq update >/dev/null
		"${apt[@]}" -qq install -y --no-install-recommends "${missing[@]}" >/dev/null
		for pkg in "${missing[@]}"; do
			have "${probe[$pkg]}" || fail_or_warn "$pkg still missing after apt-get install"
		done
	fi
fi

# --- npm packages ----------------------------------------------------------

lock=jsclient/package-lock.json
modules=jsclient/node_modules
if [[ -f $lock ]] && { [[ ! -d $modules ]] || [[ $lock -nt $modules ]]; }; then
	if ! have npm; then
		fail_or_warn "npm not found: cannot install jsclient's packages from $lock"
	else
		log "npm ci --prefix jsclient"
		npm ci --prefix jsclient --no-audit --no-fund --loglevel=error >/dev/null
		# npm ci leaves no node_modules for a lock without dependencies, and
		# may keep an old mtime: mark the install as newer than the lock.
		mkdir -p "$modules"
		touch "$modules"
	fi
fi
