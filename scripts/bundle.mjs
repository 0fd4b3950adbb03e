// Builds the committed bundles in dist/ (or in the directory given as the
// first argument, which the staleness test uses): one self-contained file per
// entry point, ESM, for Node 20 and later.
import { build } from 'esbuild';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const outdir = process.argv[2] ?? 'dist';
const entries = { cli: 'src/cli.ts', index: 'src/index.ts' };

// Files the code reads at run time (the dashboard's uPlot and page script,
// the workflows perfgate init writes) come from modules named *assets.ts
// that export assets(): the bundle calls it at build time, the same code
// that reads them in development, and inlines the result.
const inlineAssets = {
  name: 'inline-assets',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*assets\.ts$/ }, async (args) => {
      const { assets } = await tsImport(pathToFileURL(args.path).href, import.meta.url);
      return { contents: `export function assets() { return ${JSON.stringify(assets())}; }`, loader: 'js' };
    });
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
