#!/usr/bin/env bash
# Installs the pinned book tools and KaTeX assets when missing, then serves the book with live
# reload at http://localhost:3000. Extra arguments go to `mdbook serve` (e.g. --open, -p 8000).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/install-book-tools.sh"
export PATH="$HOME/.cargo/bin:$PATH"
cd "$root"
exec mdbook serve "$@"
