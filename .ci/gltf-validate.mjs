// gltf-validate.mjs: validate one .glb (or .gltf) file with the Khronos glTF Validator and print
// its JSON report. Exit status: 0 when the report has no errors and no warnings, 1 when it has
// any, 2 on a usage or loading problem. Infos and hints are reported but do not fail.
//
// Usage: node .ci/gltf-validate.mjs model.glb
//
// The validator is the npm package gltf-validator, installed (for this repository) with
//   npm install --prefix <repo>/.tools gltf-validator@2.0.0-dev.3.10
// It is resolved from <repo>/.tools/node_modules first, then through NODE_PATH and the usual
// node_modules lookup from this script's folder.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const file = process.argv[2];
if (!file) {
  console.error('usage: node gltf-validate.mjs FILE.glb');
  process.exit(2);
}

function loadValidator() {
  const bases = [new URL('../.tools/', import.meta.url), import.meta.url];
  let last;
  for (const base of bases) {
    try {
      return createRequire(base)('gltf-validator');
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

let validator;
try {
  validator = loadValidator();
} catch (e) {
  console.error(`gltf-validate: cannot load gltf-validator: ${e.message}`);
  process.exit(2);
}

let bytes;
try {
  bytes = new Uint8Array(readFileSync(file));
} catch (e) {
  console.error(`gltf-validate: ${e.message}`);
  process.exit(2);
}

try {
  const report = await validator.validateBytes(bytes, {
    uri: basename(file),
    maxIssues: 0, // no limit
    externalResourceFunction: (uri) =>
      Promise.reject(new Error(`external resource ${uri} not allowed: output must be self-contained`)),
  });
  console.log(JSON.stringify(report, null, 2));
  const { numErrors, numWarnings } = report.issues;
  process.exit(numErrors > 0 || numWarnings > 0 ? 1 : 0);
} catch (e) {
  console.error(`gltf-validate: validation failed: ${e}`);
  process.exit(2);
}
