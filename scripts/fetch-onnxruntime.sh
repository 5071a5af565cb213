#!/usr/bin/env bash
# Fetch the ONNX Runtime shared library (ORT 1.30, CPU execution provider, Linux x86-64) that the
# npm package onnxruntime-node@1.30.0 (MIT, Microsoft) ships, into .tools/onnxruntime/.
#
# The package's install script downloads CUDA provider binaries from a host these machines cannot
# reach, so it is never installed: `npm pack` fetches the tarball (npm checks its registry
# integrity), and only bin/napi-v6/linux/x64/libonnxruntime.so.1 is unpacked and sha256-checked.
# Idempotent: a present library with the right checksum is kept and nothing is fetched.
#
# Afterwards: export ORFEAS_ONNXRUNTIME_LIB="$PWD/.tools/onnxruntime/libonnxruntime.so.1"
# (the script prints that path on its last line).
set -euo pipefail
cd "$(dirname "$0")/.."

version=1.30.0
member=package/bin/napi-v6/linux/x64/libonnxruntime.so.1
want=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
dir=.tools/onnxruntime
lib=$dir/libonnxruntime.so.1

if [ -f "$lib" ] && [ "$(sha256sum "$lib" | cut -d' ' -f1)" = "$want" ]; then
  echo "$PWD/$lib"
  exit 0
fi
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) echo "fetch-onnxruntime: only linux/x86_64 is provided here; set ORFEAS_ONNXRUNTIME_LIB to your own libonnxruntime (ORT >= 1.24)" >&2; exit 1 ;;
esac
command -v npm >/dev/null || { echo "fetch-onnxruntime: npm is missing" >&2; exit 1; }

mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent --ignore-scripts "onnxruntime-node@$version" >/dev/null)
tar -xzf "$tmp/onnxruntime-node-$version.tgz" -C "$tmp" "$member"
got=$(sha256sum "$tmp/$member" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "fetch-onnxruntime: sha256 of $member is $got, want $want" >&2
  exit 1
fi
mv "$tmp/$member" "$lib.partial"
mv "$lib.partial" "$lib"
echo "$PWD/$lib"
