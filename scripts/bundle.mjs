// Builds the committed bundles in dist/ (or in the directory given as the
// first argument, which the staleness test uses): one self-contained file per
// entry point, ESM, for Node 20 and later.
import { build } from 'esbuild';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

const outdir = process.argv[2] ?? 'dist';
const entries = { cli: 'src/cli.ts', index: 'src/index.ts' };

// The dashboard's inlined files (uPlot, the page script) are read at build
// time, by the module that reads them in development, and put in the bundle.
const { assets } = await tsImport('../src/history/dashboard/assets.ts', import.meta.url);
const inlineAssets = {
  name: 'inline-dashboard-assets',
  setup(b) {
    b.onLoad({ filter: /src[\\/]history[\\/]dashboard[\\/]assets\.ts$/ }, () => ({
      contents: `export function assets() { return ${JSON.stringify(assets())}; }`,
      loader: 'js',
    }));
  },
};

for (const [name, entry] of Object.entries(entries)) {
  await build({
    entryPoints: [entry],
    outfile: join(outdir, `${name}.js`),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [inlineAssets],
    banner: {
      // CommonJS dependencies call require(); give them one in the ESM bundle.
      js: `import { createRequire as __pgCreateRequire } from 'node:module';\nconst require = __pgCreateRequire(import.meta.url);`,
    },
  });
}
