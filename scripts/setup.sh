#!/usr/bin/env bash
# Installs what zkzeo's demo and tests need on a Debian machine: Apache
# ZooKeeper's jars from Debian (with only a headless JRE), Debian's Python
# ZODB pieces the interoperability tests check our records and locks
# against, a C++ compiler for the one native addon, and the npm dependencies. Safe to run again; it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
if [ ! -f /usr/share/java/zookeeper.jar ] || ! command -v java >/dev/null 2>&1; then
  packages+=(libzookeeper-java)
fi
if ! /usr/bin/python3 -c 'import persistent, zodbpickle, BTrees, transaction, kazoo, zc.lockfile' >/dev/null 2>&1; then
  packages+=(python3-persistent python3-zodbpickle python3-btrees python3-transaction python3-kazoo python3-zc.lockfile)
fi
# fs-ext (flock for the FileStorage lock) is a native addon built by node-gyp.
if ! command -v g++ >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
  packages+=(g++ make)
fi
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${packages[*]} from Debian" >&2
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
