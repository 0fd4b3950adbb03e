/** How numbers are written in reasons, budgets and reports: three
 * significant digits, exponent form for the very large and very small. */
export function fmtNum(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-2) return x.toExponential(2);
  return a >= 100 ? x.toFixed(0) : x.toPrecision(3);
}
