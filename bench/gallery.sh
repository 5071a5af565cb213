#!/usr/bin/env bash
# Renders a gallery: every sample image × mode, built at one quality level (default standard)
# and drawn by the CLI's -preview (mesh/render: a shaded 3/4 view from the front right and above,
# Z up, 512 × 512), plus one contact sheet of them all, OUT_DIR/contact.png (examples/batch
# -contact-sheet, one sheet per mode, stacked by bench/gallery/stack).
#
#   bash bench/gallery.sh [OUT_DIR [QUALITY [IMAGES...]]]
#
# The individual renders are not committed; bench/gallery/contact.png is this script's sheet at
# standard over testdata/images: a reviewer looks at it, and reruns the script for the rest.
set -euo pipefail
out=${1:-/tmp/orfeas-gallery}
quality=${2:-standard}
shift $(( $# > 2 ? 2 : $# )) || true
root=$(git rev-parse --show-toplevel)
images=("$@")
if [ ${#images[@]} -eq 0 ]; then images=("$root"/testdata/images/*.png); fi
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/img2mesh" ./examples/img2mesh && go build -o "$tmp/batch" ./examples/batch &&
	go build -o "$tmp/stack" ./bench/gallery/stack)
modes=(auto relief lithophane extrude inflate)
for img in "${images[@]}"; do
	base=$(basename "${img%.*}")
	for mode in "${modes[@]}"; do
		if ! "$tmp/img2mesh" -q -backend cpu -mode "$mode" -quality "$quality" -preview "$out/$base.$mode.png" \
			-o "$tmp/model.stl" "$img" 2>"$tmp/err"; then
			echo "$base $mode: $(head -c 200 "$tmp/err")"
		fi
	done
done
# The contact sheet: the inputs copied under names that carry the mode, so that each tile's
# caption says what it shows.
sheets=()
for mode in "${modes[@]}"; do
	mkdir -p "$tmp/in.$mode"
	for img in "${images[@]}"; do cp "$img" "$tmp/in.$mode/$(basename "${img%.*}").$mode.png"; done
	"$tmp/batch" -q -backend cpu -mode "$mode" -quality "$quality" -in "$tmp/in.$mode" -out "$tmp/out.$mode" \
		-contact-sheet "$tmp/sheet.$mode.png" >/dev/null 2>&1 || true
	[ -f "$tmp/sheet.$mode.png" ] && sheets+=("$tmp/sheet.$mode.png")
done
"$tmp/stack" -o "$out/contact.png" "${sheets[@]}"
ls "$out"/*.png | wc -l
