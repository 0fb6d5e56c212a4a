import { describe, expect, it } from 'vitest';
import { analyseCurve } from '../src/lr-range/analyse.js';
import { renderSvg } from '../src/lr-range/plot.js';
import { CurveRecorder, scheduledLr } from '../src/lr-range/sweep.js';

/** A curve that is flat, falls between 1e-4 and 1e-2 and blows up after. */
function curve() {
  const rec = new CurveRecorder({ signal: 'train', beta: 0.98, divergence: 4 });
  for (let i = 0; i < 300; i++) {
    const lr = scheduledLr('exponential', 1e-7, 10, 300, i);
    const x = Math.log(lr);
    const [a, b] = [Math.log(1e-4), Math.log(1e-2)];
    const loss = 2 - 1.8 * (x <= a ? 0 : x >= b ? 1 : (x - a) / (b - a)) + (x <= b ? 0 : Math.exp(2 * (x - b)) - 1);
    if (!rec.add(i, lr, loss, loss)) break;
  }
  return rec.curve();
}

/** Marks of a named layer in Vega's SVG: the group's children. */
const marks = (svg: string, name: string) => {
  const at = svg.indexOf(`${name}_marks"`);
  if (at < 0) return 0;
  const group = svg.slice(at, svg.indexOf('</g>', at));
  return (group.match(/<(path|line)\b/g) ?? []).length;
};

describe('LR range plot (Vega-Lite)', () => {
  it("draws the loss with the bounds, every rule's suggestion and the chosen one, and the LR by step", async () => {
    const c = curve();
    const a = analyseCurve(c, 'valley', [1e-7, 10]);
    const svg = await renderSvg({
      title: 'digits <adam>',
      curve: c,
      suggestion: a.suggestion,
      bounds: a.bounds,
      rule: a.rule,
      suggestions: a.suggestions,
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('digits &lt;adam&gt;');
    expect(svg).toContain('learning rate (log scale)');
    expect(marks(svg, 'smoothed')).toBe(1);
    expect(marks(svg, 'loss')).toBe(1);
    expect(marks(svg, 'bounds')).toBe(1);
    const rules = Object.values(a.suggestions).filter((v) => v !== null).length;
    expect(rules).toBeGreaterThanOrEqual(3);
    expect(marks(svg, 'rules')).toBe(rules);
    expect(marks(svg, 'suggestion')).toBe(1);
    expect(svg).toMatch(/suggestion \d[^<]* \(valley\)/);
    expect(svg).toMatch(/bounds \d/);
    expect(marks(svg, 'schedule')).toBe(1);
    expect(svg).not.toContain('refine:');
  });

  it("adds refine's race: a dot per training, a cross per diverged one, and the finalists' means set apart", async () => {
    const refinement = {
      probes: [
        { lr: 1e-3, losses: [0.3] },
        { lr: 1.78e-3, losses: [0.12, 0.1, 0.11] },
        { lr: 3.16e-3, losses: [0.1, 0.09, 0.13] },
        { lr: 5.62e-3, losses: [NaN] },
      ],
      finalists: [1.78e-3, 3.16e-3],
    };
    const svg = await renderSvg({ title: 't', curve: curve(), suggestion: 3.16e-3, bounds: [1e-3, 6e-3], refinement });
    expect(svg).toContain('refine: validation loss after training');
    expect(marks(svg, 'trainings')).toBe(7);
    expect(marks(svg, 'diverged')).toBe(1);
    expect(marks(svg, 'finalists')).toBe(2);
    expect(marks(svg, 'means')).toBe(1);
    const height = (s: string) => Number(/height="(\d+)"/.exec(s)![1]);
    expect(height(svg)).toBeGreaterThan(height(await renderSvg({ title: 't', curve: curve() })));
  });

  it('says so when the curve has no point', async () => {
    const svg = await renderSvg({ title: 't', curve: { ...curve(), points: [] } });
    expect(svg).toContain('no finite loss was recorded');
  });
});
