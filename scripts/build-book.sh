#!/usr/bin/env bash
# Builds the book into build/book and checks what a reader offline needs:
#   - every formula rendered (mdbook-katex only warns when KaTeX fails; here that is an error);
#   - no CDN: no jsdelivr/cdn link and no remote stylesheet or script in any page;
#   - KaTeX's stylesheet linked, with its fonts/ folder beside it in the build.
# Installs the pinned tools first when they are missing (scripts/install-book-tools.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/install-book-tools.sh >/dev/null
export PATH="$HOME/.cargo/bin:$PATH"

fail() { echo "error: $*" >&2; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
NO_COLOR=1 mdbook build >"$log" 2>&1 || status=$?
# mdbook-katex 0.10.0 was built against mdbook 0.5.3 and says so on every build: harmless.
grep -v 'was built against mdbook' "$log" || true
[ "$status" -eq 0 ] || fail "mdbook build failed"
if grep -q 'Rendering failed' "$log"; then
  grep 'Rendering failed' "$log" >&2
  fail "KaTeX could not render a formula (see above): fix the LaTeX or add the macro to book/macros.txt"
fi

out=build/book
[ -f "$out/index.html" ] || fail "$out/index.html was not written"
if grep -rl 'cdn\|jsdelivr' "$out" --include='*.html'; then
  fail "the pages above mention a CDN; the book must work offline"
fi
if grep -rEo '<(link|script)[^>]*(src|href)="(https?:)?//[^"]*"' "$out" --include='*.html' | head; then
  fail "the pages above load a remote stylesheet or script"
fi
grep -q 'href="katex/katex.min.css"' "$out/index.html" ||
  fail "the KaTeX stylesheet is not linked (theme/head.hbs)"
[ -s "$out/katex/katex.min.css" ] || fail "$out/katex/katex.min.css is missing"
fonts=$(find "$out/katex/fonts" -name 'KaTeX_*.woff2' 2>/dev/null | wc -l)
[ "$fonts" -ge 20 ] || fail "$out/katex/fonts/ holds $fonts KaTeX woff2 fonts, expected 20"
ls "$out"/searchindex*.js >/dev/null 2>&1 || fail "the search index was not written"
echo "==> book built in $out: formulas rendered, no CDN, KaTeX CSS + $fonts fonts, search index"
