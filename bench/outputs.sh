#!/usr/bin/env bash
# Hash every CLI output over testdata/images: every mode, draft and standard, every format.
# Usage: bench/outputs.sh REPO OUTFILE; diff two lists to show a refactor changed no output.
set -euo pipefail
repo=$1; out=$2
cd "$repo"
bin=$(mktemp -d)/img2mesh
go build -o "$bin" ./examples/img2mesh
tmp=$(mktemp -d)
: > "$out"
for img in testdata/images/*.png; do
  for mode in auto relief lithophane extrude inflate; do
    for q in draft standard; do
      for f in stl stl-ascii obj glb ply; do
        o="$tmp/out.$f"
        if "$bin" -backend cpu -mode $mode -quality $q -format $f -o "$o" "$img" >/dev/null 2>"$tmp/err"; then
          echo "$(basename $img) $mode $q $f $(sha256sum < "$o" | cut -c1-16)" >> "$out"
        else
          echo "$(basename $img) $mode $q $f ERR $(head -c 80 "$tmp/err" | tr '\n' ' ')" >> "$out"
        fi
        rm -f "$tmp"/out.*
      done
    done
  done
done
