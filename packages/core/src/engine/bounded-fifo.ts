/**
 * A first-in, first-out queue of bounded length: `push` returns the item that fell out, if any.
 * An array with a moving head, compacted now and then, because deleting the oldest entry of a
 * Map or Set through its iterator leaves tombstones that every later iteration walks over.
 */
export class BoundedFifo<TItem> {
  #items: TItem[] = [];
  #head = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = Math.max(0, limit);
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: TItem): TItem | undefined {
    this.#items.push(item);
    if (this.size <= this.#limit) return undefined;
    const dropped = this.#items[this.#head] as TItem;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return dropped;
  }
}
