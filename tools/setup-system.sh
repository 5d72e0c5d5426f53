#!/usr/bin/env bash
# System packages the tool and its tests use (Debian/Ubuntu). Runs apt-get as root, or
# through sudo for a normal user. Pango, HarfBuzz and fontconfig come with WeasyPrint's
# usual dependencies; HarfBuzz's subsetter keeps the embedded fonts small.
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
