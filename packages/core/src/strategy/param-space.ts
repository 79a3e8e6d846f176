import { z } from 'zod';
import { RxtradeError } from '../errors';

/** A scalar parameter value an optimiser can try. */
export type ParamValue = number | string | boolean;

/**
 * The values one parameter may take: a list (`[5, 10, 20]`), or a numeric range. A grid walks a
 * range from `min` to `max` by `step` (integers by 1 when `int` and no step); random search draws
 * uniformly in it (on the `step` grid when given, whole numbers when `int`).
 */
export type ParamRange =
  | readonly ParamValue[]
  | { readonly min: number; readonly max: number; readonly step?: number; readonly int?: boolean };

/** Parameter name → values to try, e.g. `{ fast: [5, 10, 20], slow: { min: 20, max: 60, step: 10 } }`. */
export type ParamSpace = Readonly<Record<string, ParamRange>>;

/** A concrete parameter set. */
export type ParamSet = Readonly<Record<string, ParamValue>>;

const finite = z.number().refine(Number.isFinite, 'must be finite');
const RangeSchema = z.union([
  z.array(z.union([finite, z.string(), z.boolean()])).min(1),
  z
    .strictObject({
      min: finite,
      max: finite,
      step: finite.refine((n) => n > 0, 'must be > 0').optional(),
      int: z.boolean().optional(),
    })
    .refine((r) => r.max >= r.min, 'max must be ≥ min'),
]);
const SpaceSchema = z
  .record(z.string().min(1), RangeSchema)
  .refine((s) => Object.keys(s).length > 0, 'is empty');

function invalid(message: string, cause?: unknown): RxtradeError {
  return new RxtradeError({ code: 'INVALID_ARGUMENT', message, ...(cause ? { cause } : {}) });
}

/** Validates a parameter space (zod); throws INVALID_ARGUMENT with every problem. */
export function parseParamSpace(space: ParamSpace): ParamSpace {
  const parsed = SpaceSchema.safeParse(space);
  if (!parsed.success)
    throw invalid(`invalid parameter space: ${z.prettifyError(parsed.error)}`, parsed.error);
  return space;
}

/** Removes float noise from min + i × step (0.1 × 3 = 0.30000000000000004 → 0.3). */
const clean = (n: number): number => Number.parseFloat(n.toPrecision(12));

/** Every value of one range, for a grid. */
export function rangeValues(name: string, range: ParamRange): ParamValue[] {
  if (Array.isArray(range)) return [...(range as readonly ParamValue[])];
  const r = range as Exclude<ParamRange, readonly ParamValue[]>;
  const step = r.step ?? (r.int ? 1 : undefined);
  if (step === undefined) {
    throw invalid(`parameter ${name}: a grid needs a step (or int: true) for the range ${r.min}..${r.max}`);
  }
  const count = Math.floor((r.max - r.min) / step + 1e-9) + 1;
  if (count > 1_000_000) throw invalid(`parameter ${name}: ${count} values is too many for a grid`);
  return Array.from({ length: count }, (_, i) => clean(r.min + i * step));
}

/** The Cartesian product of every range, in a stable order (the first parameter varies slowest). */
export function gridParamSets(space: ParamSpace): ParamSet[] {
  parseParamSpace(space);
  let sets: Record<string, ParamValue>[] = [{}];
  for (const [name, range] of Object.entries(space)) {
    const values = rangeValues(name, range);
    const next: Record<string, ParamValue>[] = [];
    for (const set of sets) for (const value of values) next.push({ ...set, [name]: value });
    sets = next;
    if (sets.length > 10_000_000) throw invalid(`the grid has more than 10,000,000 parameter sets`);
  }
  return sets;
}

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same samples on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function draw(range: ParamRange, random: () => number): ParamValue {
  if (Array.isArray(range)) {
    const list = range as readonly ParamValue[];
    return list[Math.floor(random() * list.length)] as ParamValue;
  }
  const r = range as Exclude<ParamRange, readonly ParamValue[]>;
  const step = r.step ?? (r.int ? 1 : undefined);
  if (step === undefined) return r.min + random() * (r.max - r.min);
  const count = Math.floor((r.max - r.min) / step + 1e-9) + 1;
  return clean(r.min + Math.floor(random() * count) * step);
}

/**
 * `samples` distinct random parameter sets (fewer when the space is smaller), reproducible from
 * `seed` (default 1).
 */
export function randomParamSets(space: ParamSpace, options: { samples: number; seed?: number }): ParamSet[] {
  parseParamSpace(space);
  if (!(Number.isInteger(options.samples) && options.samples > 0)) {
    throw invalid(`samples must be a whole number > 0, got ${options.samples}`);
  }
  const random = mulberry32(options.seed ?? 1);
  const seen = new Set<string>();
  const out: ParamSet[] = [];
  const entries = Object.entries(space);
  for (let tries = 0; out.length < options.samples && tries < options.samples * 20; tries++) {
    const set: Record<string, ParamValue> = {};
    for (const [name, range] of entries) set[name] = draw(range, random);
    const key = JSON.stringify(set);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(set);
  }
  return out;
}
