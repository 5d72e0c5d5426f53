#!/usr/bin/env bash
# System packages (Debian/Ubuntu) the tool needs, and with --test those its tests use too.
# Installs only what is missing; runs apt-get as root, or through sudo for a normal user.
#   bash tools/setup-system.sh          # the tool: Pango/HarfBuzz/fontconfig for WeasyPrint
#   bash tools/setup-system.sh --test   # and the test suite's real parts (LibreOffice, ...)
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig)
# poppler-utils: pdfsig, the independent verifier of signed letters (tests/test_signing.py).
# chromium: the browser tests/test_web.py drives with Playwright (Debian's, not a download).
test_packages=(libreoffice-writer-nogui cups printer-driver-cups-pdf cups-ipp-utils poppler-utils chromium)
if [ "${1:-}" = "--test" ]; then
  packages+=("${test_packages[@]}")
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
