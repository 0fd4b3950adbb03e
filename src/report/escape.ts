/** Escaping text that came from a benchmark, a build or a PR before it
 * reaches Markdown: no injected links, images, HTML, mentions or table breaks. */

/** For inline text and table cells: Markdown punctuation gets a backslash
 * (GFM's escape, also inside tables), HTML-significant characters and '@'
 * (mentions) become entities, line breaks become spaces. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_{}[\]()#+!|~]/g, (c) => `\\${c}`)
    .replace(/[<>&@]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** For a fenced code block: a fence longer than any run of backticks inside,
 * and no HTML entity interpretation is needed inside fences. */
export function codeBlock(lines: readonly string[]): string {
  const text = lines.join('\n');
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}
