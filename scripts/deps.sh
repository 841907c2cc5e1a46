#!/bin/sh
# Install the Debian packages rsgate needs to build and test, and only those
# that are missing. Non-interactive; needs root (or sudo). Run by `make demo`
# and `make check` before anything else, so a fresh Debian 12 machine needs
# nothing installed by hand.
set -eu

PKGS="build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev \
libssl-dev openssl libsqlite3-dev sqlite3 libjansson-dev libcmocka-dev \
libevent-dev libcurl4-openssl-dev curl libyaml-dev libxlsxwriter-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "deps: missing packages:$missing; run as root or install sudo" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
