#!/usr/bin/env bash
# Reruns chapter binaries at the full budget, into a temporary directory, and compares what they
# write with the committed images/chNN/: every number of numbers.json by key (the text the book
# shows) and every figure byte for byte. Fails, naming the key or the file, on any difference.
#
#   bash scripts/reproduce.sh            # every chapter crate listings/chNN_*
#   bash scripts/reproduce.sh ch01 ch05  # some of them
#
# After an intended change, refresh the committed outputs with the chapter binary itself
# (`cargo run --release -p chNN_topic`, which writes images/chNN/) and commit them: the book's
# quoted numbers then change with them.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

chapters=("$@")
if [ ${#chapters[@]} -eq 0 ]; then
  for dir in listings/ch[0-9][0-9]_*/; do
    name=$(basename "$dir")
    chapters+=("${name:0:4}")
  done
fi

crates=()
for chapter in "${chapters[@]}"; do
  dirs=(listings/"$chapter"_*/)
  [ -d "${dirs[0]}" ] || { echo "error: no crate listings/${chapter}_* for chapter $chapter" >&2; exit 2; }
  crates+=("$(basename "${dirs[0]}")")
done

echo "==> building ${crates[*]} and compare-run (release)"
# Two builds: `--bin compare-run` beside the chapters would select only targets named compare-run.
cargo build --quiet --release --locked -p booktools --bin compare-run
cargo build --quiet --release --locked $(printf -- '-p %s ' "${crates[@]}")
# Run the binaries just built (not `cargo run`, which may rebuild with other features and would
# count the build in the run's time).
bin=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=()
for i in "${!chapters[@]}"; do
  chapter=${chapters[$i]}
  crate=${crates[$i]}
  started=$(date +%s)
  if ! "$bin/$crate" --out "$tmp/$chapter" >"$tmp/$chapter.log" 2>&1; then
    tail -n 20 "$tmp/$chapter.log" >&2
    echo "error: $crate failed (output above)" >&2
    failed+=("$chapter")
    continue
  fi
  seconds=$(($(date +%s) - started))
  if "$bin/compare-run" "images/$chapter" "$tmp/$chapter"; then
    count=$(find "images/$chapter" -maxdepth 1 -type f ! -name '.*' | wc -l)
    echo "==> $chapter reproduced: $count committed files identical (run: ${seconds} s)"
  else
    echo "error: $chapter's rerun differs from images/$chapter/ (above). If the change is" \
      "intended, refresh: cargo run --release -p $crate, then commit images/$chapter/" >&2
    failed+=("$chapter")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "error: not reproduced: ${failed[*]}" >&2
  exit 1
fi
echo "==> reproduced: ${chapters[*]}"
