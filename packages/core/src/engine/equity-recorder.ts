/** @internal Growable series of (time, value) points that halves itself when full (every other point kept). */
export class EquityRecorder {
  #ts: Float64Array;
  #values: Float64Array;
  #length = 0;
  #stride = 1;
  #skip = 0;
  readonly #max: number;

  constructor(max: number) {
    this.#max = Math.max(2, max);
    const initial = Math.min(this.#max, 4096);
    this.#ts = new Float64Array(initial);
    this.#values = new Float64Array(initial);
  }

  /** Offers the next point; every `stride`-th is kept. Small on purpose, so it inlines into the bar loop. */
  push(ts: number, value: number): void {
    if (++this.#skip < this.#stride) return;
    this.#append(ts, value);
  }

  #append(ts: number, value: number): void {
    this.#skip = 0;
    if (this.#length === this.#ts.length) {
      if (this.#length < this.#max) {
        const size = Math.min(this.#max, this.#length * 2);
        const grownTs = new Float64Array(size);
        const grownValues = new Float64Array(size);
        grownTs.set(this.#ts);
        grownValues.set(this.#values);
        this.#ts = grownTs;
        this.#values = grownValues;
      } else {
        let j = 0;
        for (let i = 0; i < this.#length; i += 2, j++) {
          this.#ts[j] = this.#ts[i] as number;
          this.#values[j] = this.#values[i] as number;
        }
        this.#length = j;
        this.#stride *= 2;
      }
    }
    this.#ts[this.#length] = ts;
    this.#values[this.#length] = value;
    this.#length++;
  }

  /** Replaces the last point (used to make the final point exact after closing at the end). */
  setLast(ts: number, value: number): void {
    if (this.#length !== 0 && this.#ts[this.#length - 1] === ts) this.#values[this.#length - 1] = value;
    else this.#append(ts, value);
  }

  result(): { timestamps: number[]; values: number[] } {
    const timestamps: number[] = new Array(this.#length);
    const values: number[] = new Array(this.#length);
    for (let i = 0; i < this.#length; i++) {
      timestamps[i] = this.#ts[i] as number;
      values[i] = this.#values[i] as number;
    }
    return { timestamps, values };
  }
}
