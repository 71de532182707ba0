#!/usr/bin/env bash
# The Debian packages PainRewire needs: Chromium for the browser tests, Pango for PDF reports (WeasyPrint),
# fonts for both; Cairo for the tests that rasterise the GMI pictures (CairoSVG). Installs only what is missing.
set -euo pipefail
packages=(chromium fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils libcairo2)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
