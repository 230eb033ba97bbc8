#!/usr/bin/env bash
# Debian packages for the one-machine form: bubblewrap (grading sandbox), Chromium and its driver
# (browser tests), CJK fonts (Korean pages in screenshots). Safe to run again.
set -euo pipefail
pkgs=(bubblewrap chromium chromium-driver fonts-noto-cjk)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
