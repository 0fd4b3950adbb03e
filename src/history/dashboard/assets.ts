/** The files the dashboard page inlines: uPlot (MIT, Leon Sorokin; small,
 * fast, canvas, no dependencies) and the page's own script and styles. Read
 * from disk here; scripts/bundle.mjs calls assets() at build time and
 * replaces this module with its result, so dist/ needs no node_modules. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Module specifiers, resolved like imports from this file. */
const FILES = {
  uplotJs: 'uplot/dist/uPlot.iife.min.js',
  uplotCss: 'uplot/dist/uPlot.min.css',
  uplotLicense: 'uplot/LICENSE',
  appJs: './browser/app.js',
  appCss: './browser/style.css',
} as const;

export type Assets = Record<keyof typeof FILES, string>;

export function assets(): Assets {
  const out = {} as Assets;
  for (const [name, spec] of Object.entries(FILES) as [keyof Assets, string][]) out[name] = readFileSync(require.resolve(spec), 'utf8');
  return out;
}
