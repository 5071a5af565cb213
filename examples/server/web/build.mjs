// Bundles the studio page into dist/ (run by `go generate ./examples/server/web`). The output is
// committed and embedded in the server; CI rebuilds it and fails when it differs, so the build
// must be deterministic: no timestamps, no absolute paths, no source maps.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

const here = new URL('.', import.meta.url).pathname;
rmSync(here + 'dist', { recursive: true, force: true });
mkdirSync(here + 'dist');
await esbuild.build({
  absWorkingDir: here,
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  outdir: 'dist',
  legalComments: 'eof',
  logLevel: 'warning',
});
copyFileSync(here + 'src/index.html', here + 'dist/index.html');
