// What the live feeds keep in storage, written behind them: what every stream of the account
// kept in a short window is written in one step, each stream's chunks of the window as one value,
// so storage commits once for all of them rather than once a chunk (locally each commit is an
// fsync on the object's only thread, which every stream waits out), and a stream that ends within
// the window never touches storage at all.

/** Keys per storage.put() or delete() call (the runtime's limit). */
const BATCH_KEYS = 128;

/** Something with writes waiting: it hands them over when the batch is written. */
export interface WriteSource {
  takeWrites(): [key: string, value: unknown][];
}

export class WriteBehind {
  private readonly dirty = new Set<WriteSource>();
  private readonly deletes = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly storage: DurableObjectStorage,
    /** How long a write may wait: what a restart of the object can lose. */
    private readonly delayMs: number,
  ) {}

  /** `source` has something to write with the next batch. */
  mark(source: WriteSource) {
    this.dirty.add(source);
    this.arm();
  }

  /** `source` is gone: what it had waiting is never written, and `keys` it had written go. */
  drop(source: WriteSource, keys: string[]) {
    this.dirty.delete(source);
    for (const key of keys) this.deletes.add(key);
    if (keys.length) this.arm();
  }

  /**
   * Writes what waits, in one synchronous step (one implicit transaction, one commit), without
   * the output gate, which would hold every stream of the account until it was confirmed.
   */
  flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const puts = [...this.dirty].flatMap((source) => source.takeWrites());
    const deletes = [...this.deletes];
    this.dirty.clear();
    this.deletes.clear();
    const options = { allowUnconfirmed: true };
    for (let i = 0; i < puts.length; i += BATCH_KEYS) {
      const entries = Object.fromEntries(puts.slice(i, i + BATCH_KEYS));
      void this.storage.put(entries, options).catch(() => {});
    }
    for (let i = 0; i < deletes.length; i += BATCH_KEYS) {
      void this.storage.delete(deletes.slice(i, i + BATCH_KEYS), options).catch(() => {});
    }
  }

  private arm() {
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }
}
