// A custom fitness module: its default export scores one set of hyperparameters (lower is better).
export default function rastrigin(params) {
  const xs = Object.values(params);
  return 10 * xs.length + xs.reduce((s, x) => s + x * x - 10 * Math.cos(2 * Math.PI * x), 0);
}
