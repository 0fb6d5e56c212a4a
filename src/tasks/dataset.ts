import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { rngFor, shuffleInPlace } from '../util/rng.js';
import type { TaskData } from './types.js';

/** Rows of features with an integer class label each. */
export interface LabelledTable {
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly rows: number;
  readonly columns: number;
  readonly classes: number;
}

/**
 * A file vendored in src/tasks/data/, found both from the sources (tests) and from dist/ (tsc does not copy data,
 * so compiled code reads the same files from the package's src/).
 */
function vendoredFile(name: string): string {
  const candidates = [new URL(`./data/${name}`, import.meta.url), new URL(`../../../src/tasks/data/${name}`, import.meta.url)];
  const found = candidates.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
  if (!found) throw new Error(`bundled data file ${name} is missing (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
  return found;
}

/**
 * Reads a vendored CSV: numeric columns, the class label last. `header: true` skips the first line (UCI files as
 * scikit-learn ships them start with "rows,features,class names...").
 */
export function readLabelledCsv(name: string, header: boolean): LabelledTable {
  const raw = readFileSync(vendoredFile(name));
  const text = (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const body = header ? lines.slice(1) : lines;
  const columns = body[0]!.split(',').length - 1;
  const features = new Float32Array(body.length * columns);
  const labels = new Int32Array(body.length);
  body.forEach((line, r) => {
    const cells = line.split(',').map(Number);
    if (cells.length !== columns + 1 || cells.some((c) => !Number.isFinite(c))) throw new Error(`${name}: bad row ${r + 1}: ${line}`);
    features.set(cells.slice(0, columns), r * columns);
    labels[r] = cells[columns]!;
  });
  return { features, labels, rows: body.length, columns, classes: Math.max(...labels) + 1 };
}

export type Scaling = { readonly kind: 'none' } | { readonly kind: 'divide'; readonly by: number } | { readonly kind: 'standardise' };

export interface SplitOptions {
  readonly seed: number;
  /** Label of the shuffle stream, so that tasks sharing a seed still shuffle differently. */
  readonly name: string;
  readonly valFraction: number;
  readonly scaling: Scaling;
  readonly inputShape: readonly number[];
}

/**
 * A seeded train/validation split of a labelled table: one-hot targets, features scaled (standardised with the
 * training rows' mean and standard deviation, so nothing leaks from validation).
 */
export function splitClassification(table: LabelledTable, o: SplitOptions): TaskData {
  const order = shuffleInPlace(
    Array.from({ length: table.rows }, (_, i) => i),
    rngFor(o.seed, 'split', o.name),
  );
  const nVal = Math.round(table.rows * o.valFraction);
  const nTrain = table.rows - nVal;
  const pick = (rows: number[]) => {
    const x = new Float32Array(rows.length * table.columns);
    const y = new Float32Array(rows.length * table.classes);
    rows.forEach((r, i) => {
      x.set(table.features.subarray(r * table.columns, (r + 1) * table.columns), i * table.columns);
      y[i * table.classes + table.labels[r]!] = 1;
    });
    return { x, y };
  };
  const train = pick(order.slice(0, nTrain));
  const val = pick(order.slice(nTrain));
  scale(train.x, val.x, table.columns, o.scaling);
  return { xTrain: train.x, yTrain: train.y, xVal: val.x, yVal: val.y, inputShape: o.inputShape, targetSize: table.classes, nTrain, nVal };
}

function scale(train: Float32Array, val: Float32Array, columns: number, s: Scaling): void {
  if (s.kind === 'none') return;
  if (s.kind === 'divide') {
    for (const a of [train, val]) for (let i = 0; i < a.length; i++) a[i]! /= s.by;
    return;
  }
  const rows = train.length / columns;
  for (let c = 0; c < columns; c++) {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += train[r * columns + c]!;
    mean /= rows;
    let variance = 0;
    for (let r = 0; r < rows; r++) variance += (train[r * columns + c]! - mean) ** 2;
    const sd = Math.sqrt(variance / rows) || 1;
    for (const a of [train, val]) for (let i = c; i < a.length; i += columns) a[i] = (a[i]! - mean) / sd;
  }
}
