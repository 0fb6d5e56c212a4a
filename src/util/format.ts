/** A number as the CLI, the report and the dashboard print it: six significant digits, exponent when very large or small. */
export const formatValue = (v: number) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : Number(v.toPrecision(6)).toString();
