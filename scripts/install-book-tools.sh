#!/usr/bin/env bash
# Installs what building the book needs, at pinned versions, and only what is missing:
#   - mdbook 0.5.4 and mdbook-katex 0.10.0 (cargo install --locked), in ~/.cargo/bin;
#   - the book's own preprocessor, mdbook-dudl (listings/booktools), built with cargo;
#   - KaTeX 0.16.4's stylesheet and fonts (from the npm package katex@0.16.4) in book/katex/,
#     which mdBook copies into the built book and theme/head.hbs links: the book needs no CDN.
# Safe to run again: it checks versions and files first. Needs cargo, and npm or curl.
set -euo pipefail

MDBOOK_VERSION=0.5.4
MDBOOK_KATEX_VERSION=0.10.0
# The KaTeX version mdbook-katex 0.10.0 renders with (its CDN link names katex@0.16.4): the CSS
# must match the HTML it pre-renders.
KATEX_VERSION=0.16.4
KATEX_TGZ_SHA256=079333bb5ea5501b3636e40301f7af8b68663d7cd51d1b20eae02442b73c6973

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
assets="$root/book/katex"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '==> %s\n' "$*"; }

installed_version() { # prints the version a tool reports, or nothing
  "$1" --version 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1 || true
}

# --- mdbook and mdbook-katex -------------------------------------------------------------------
need=()
[ "$(installed_version mdbook)" = "$MDBOOK_VERSION" ] || need+=("mdbook@$MDBOOK_VERSION")
[ "$(installed_version mdbook-katex)" = "$MDBOOK_KATEX_VERSION" ] ||
  need+=("mdbook-katex@$MDBOOK_KATEX_VERSION")
if [ ${#need[@]} -gt 0 ]; then
  say "cargo install --locked ${need[*]} (several minutes, once)"
  cargo install --locked "${need[@]}"
else
  say "mdbook $MDBOOK_VERSION and mdbook-katex $MDBOOK_KATEX_VERSION are installed"
fi
[ "$(installed_version mdbook)" = "$MDBOOK_VERSION" ] ||
  { echo "error: mdbook $MDBOOK_VERSION is not the first mdbook on PATH" >&2; exit 1; }
[ "$(installed_version mdbook-katex)" = "$MDBOOK_KATEX_VERSION" ] ||
  { echo "error: mdbook-katex $MDBOOK_KATEX_VERSION is not the first on PATH" >&2; exit 1; }

# --- KaTeX stylesheet and fonts ----------------------------------------------------------------
assets_ok() {
  [ "$(cat "$assets/VERSION" 2>/dev/null)" = "$KATEX_VERSION" ] &&
    [ -s "$assets/katex.min.css" ] &&
    [ -s "$assets/fonts/KaTeX_Main-Regular.woff2" ] &&
    [ -s "$assets/fonts/KaTeX_Caligraphic-Regular.woff2" ] &&
    [ -s "$assets/fonts/KaTeX_Size1-Regular.woff2" ]
}

if assets_ok; then
  say "KaTeX $KATEX_VERSION CSS and fonts are in book/katex/"
else
  say "fetching KaTeX $KATEX_VERSION CSS and fonts from npm into book/katex/"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  tgz="$tmp/katex-$KATEX_VERSION.tgz"
  if command -v npm >/dev/null; then
    (cd "$tmp" && npm pack --silent "katex@$KATEX_VERSION" >/dev/null)
  else
    curl -fsSL -o "$tgz" "https://registry.npmjs.org/katex/-/katex-$KATEX_VERSION.tgz"
  fi
  echo "$KATEX_TGZ_SHA256  $tgz" | sha256sum --check --quiet -
  tar -xzf "$tgz" -C "$tmp" package/dist/katex.min.css package/dist/fonts
  rm -rf "$assets"
  mkdir -p "$assets"
  cp "$tmp/package/dist/katex.min.css" "$assets/"
  cp -r "$tmp/package/dist/fonts" "$assets/"
  cat > "$assets/README.md.txt" <<EOF
KaTeX $KATEX_VERSION (MIT licence, https://katex.org), from the npm package katex@$KATEX_VERSION:
dist/katex.min.css and dist/fonts/. Installed by scripts/install-book-tools.sh; not committed.
EOF
  echo "$KATEX_VERSION" > "$assets/VERSION"
  assets_ok || { echo "error: KaTeX assets incomplete in $assets" >&2; exit 1; }
fi
# --- the book's own preprocessor (mdbook-dudl, in listings/booktools) -------------------------
# book.toml runs it through `cargo run`, so it is never stale; building it here keeps the first
# `mdbook build` quick.
say "building the book's preprocessor (cargo build --release -p booktools)"
(cd "$root" && cargo build --quiet --release --locked -p booktools --bin mdbook-dudl)

# book/images links to ../images (mdBook copies only book/ into the build); a dangling link
# would fail the build on a clone that has no figures yet.
mkdir -p "$root/images"

say "book tools ready: $(mdbook --version), $(mdbook-katex --version), KaTeX $KATEX_VERSION assets"
