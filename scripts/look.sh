#!/usr/bin/env bash
# Builds the book and screenshots pages in headless Chromium with the network off, so that what
# you see is what a reader without internet access sees (math fonts, figures, search).
#
#   bash scripts/look.sh                      # intro, notation and every chapter page
#   bash scripts/look.sh notation ch05_attention 'notation.html?search=gradient'
#
# Writes build/look/<page>.png. Installs Debian's `chromium` with apt-get when it is missing
# (needs root). LOOK_WIDTH / LOOK_HEIGHT set the window (default 1280 x 2000), LOOK_SCALE the
# device pixel ratio (default 1; 2 to check glyphs close up). A URL with a #fragment comes out
# blank in headless Chromium: shrink LOOK_HEIGHT instead.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/build-book.sh

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "==> installing chromium (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  browser=$(command -v chromium)
fi

pages=("$@")
if [ ${#pages[@]} -eq 0 ]; then
  pages=(intro notation)
  for chapter in book/ch[0-9][0-9]_*.md; do
    [ -e "$chapter" ] && pages+=("$(basename "$chapter" .md)")
  done
fi

out="$root/build/look"
mkdir -p "$out"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
for page in "${pages[@]}"; do
  case "$page" in *.html*) url_page=$page ;; *) url_page=$page.html ;; esac
  name=$(printf '%s' "$page" | sed -e 's/\.html//' -e 's/[^A-Za-z0-9_-]/_/g')
  # Network off: every host resolves to nothing and every request goes to a closed proxy port.
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --disable-background-networking --disable-component-update --disable-sync --no-first-run \
    --disable-default-apps --disable-extensions --mute-audio \
    --proxy-server=127.0.0.1:9 --host-resolver-rules="MAP * ~NOTFOUND" \
    --user-data-dir="$profile" --window-size="${LOOK_WIDTH:-1280},${LOOK_HEIGHT:-2000}" \
    --force-device-scale-factor="${LOOK_SCALE:-1}" \
    --virtual-time-budget=5000 --screenshot="$out/$name.png" \
    "file://$root/build/book/$url_page" >/dev/null 2>&1
  echo "==> build/look/$name.png  ($url_page)"
done
