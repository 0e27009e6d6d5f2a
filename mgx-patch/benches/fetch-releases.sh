#!/usr/bin/env bash
# Download consecutive releases of a few source packages (npm tarballs, by package name, with
# `npm pack`) and make the diffs the `releases` bench applies:
#   target/release-diffs/<name>/{old/,change.diff,expected/}
# Binary files are left out of both trees (text patches only). Needs npm, diff and tar.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/target/release-diffs"
PAIRS=(
  "express 4.18.2 4.19.2"
  "lodash 4.17.20 4.17.21"
  "commander 11.0.0 11.1.0"
  "semver 7.5.4 7.6.0"
  "chalk 5.2.0 5.3.0"
)
rm -rf "$OUT"
mkdir -p "$OUT"
for pair in "${PAIRS[@]}"; do
  set -- $pair
  name=$1 old=$2 new=$3
  work="$OUT/$name"
  mkdir -p "$work/dl"
  for v in "$old" "$new"; do
    mkdir -p "$work/dl/$v" "$work/x$v"
    (cd "$work/dl/$v" && npm pack --silent "$name@$v" >/dev/null 2>&1)
    tar -xzf "$work/dl/$v"/*.tgz -C "$work/x$v"
  done
  mv "$work/x$old"/* "$work/old"
  mv "$work/x$new"/* "$work/expected"
  rm -rf "$work/dl" "$work/x$old" "$work/x$new"
  # Text files only, in both trees.
  for tree in "$work/old" "$work/expected"; do
    find "$tree" -type f ! -size 0 -exec grep -Iq . {} \; -o -type f -print0 | xargs -0 rm -f
  done
  (cd "$work" && diff -ruN old expected > change.diff || [ $? -eq 1 ])
  echo "$name $old -> $new: $(grep -c '^@@' "$work/change.diff") hunks, $(grep -c '^+++ ' "$work/change.diff") files"
done
