/** The dashboard as one self-contained HTML file: uPlot, the page script,
 * the styles and the data inline, so it works from file:// and on any static
 * host with no network. The data goes in a JSON script element with every
 * `<` escaped, so no text of the history (commit subjects are anyone's
 * words) can close the element or become markup. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Dashboard } from './model';
import { assets } from './assets';

/** JSON that is inert inside a <script> element. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** An inlined file, checked not to end its own element early. */
function inline(text: string): string {
  if (/<\/(script|style)/i.test(text)) throw new Error('a dashboard asset contains </script or </style and cannot be inlined');
  return text;
}

export function renderDashboard(d: Dashboard): string {
  const a = assets();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>perfgate history</title>
<style>${inline(a.uplotCss)}</style>
<style>${inline(a.appCss)}</style>
</head>
<body>
<header><h1>perfgate history</h1><p id="summary"></p><label>Machine <select id="machine"></select></label></header>
<main id="view"></main>
<div id="tooltip" hidden></div>
<footer><p>Made by perfgate. Charts: uPlot (MIT licence, below).</p><details><summary>uPlot licence</summary><pre>${a.uplotLicense.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</pre></details></footer>
<script id="perfgate-data" type="application/json">${scriptSafeJson(d)}</script>
<script>${inline(a.uplotJs)}</script>
<script>${inline(a.appJs)}</script>
</body>
</html>
`;
}

/** Writes the site into `dir`: index.html, and dashboard.json (the same data, for scripts). */
export function writeDashboard(dir: string, d: Dashboard): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'dashboard.json'), `${JSON.stringify(d, null, 1)}\n`);
  const index = join(dir, 'index.html');
  writeFileSync(index, renderDashboard(d));
  return index;
}
