/**
 * Batching of small, independent statements across concurrent requests: each caller asks for
 * one item and gets its own result, but the items asked for while a statement is on its way go
 * together in the next one — one round trip for many token requests' lookups instead of one
 * each (the group-commit idea of {@link AuditWriter}, for reads and single-statement writes).
 *
 * - A lone item is sent at once: nothing waits for a timer, so an idle platform answers as fast
 *   as without batching. Under load, the items that arrive while `maxInFlight` statements are
 *   running wait for one of them to finish, then go together (up to `maxBatch`).
 * - `run` gets the items of one batch and returns one result per item, in the same order. It
 *   must be one statement (or otherwise all-or-nothing): when it throws for a batch of several
 *   items, each item is run again on its own, so that one bad item fails only its own caller.
 */
export type BatchRunner<I, O> = (items: readonly I[]) => Promise<readonly O[]>;

/** Options of a {@link Batcher}. */
export interface BatcherOptions {
  /** Most items in one batch (default 256). */
  readonly maxBatch?: number;
  /** Most batches running at once (default 1). */
  readonly maxInFlight?: number;
}

interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (o: O) => void;
  readonly reject: (e: unknown) => void;
}

/** See the module comment. */
export class Batcher<I, O> {
  readonly #run: BatchRunner<I, O>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  #queue: Array<Pending<I, O>> = [];
  #inFlight = 0;
  /** Batches run so far and the items they held (for tests and benchmarks). */
  readonly stats = { batches: 0, items: 0 };

  constructor(run: BatchRunner<I, O>, options: BatcherOptions = {}) {
    const maxBatch = options.maxBatch ?? 256;
    const maxInFlight = options.maxInFlight ?? 1;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError('Batcher: maxBatch ≥ 1');
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError('Batcher: maxInFlight ≥ 1');
    this.#run = run;
    this.#maxBatch = maxBatch;
    this.#maxInFlight = maxInFlight;
  }

  /** Runs `item` in the next batch; resolves with its result. */
  load(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#next();
    });
  }

  /**
   * Runs `items` in the same batch (when they fit in one, and the batch that takes the first
   * takes the rest too); resolves with their results in order, or rejects with the first failure.
   */
  loadMany(items: readonly I[]): Promise<O[]> {
    const all = items.map(
      (item) => new Promise<O>((resolve, reject) => this.#queue.push({ item, resolve, reject })),
    );
    this.#next();
    return Promise.all(all);
  }

  #next(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight++;
      void this.#send(batch).finally(() => {
        this.#inFlight--;
        this.#next();
      });
    }
  }

  async #send(batch: ReadonlyArray<Pending<I, O>>): Promise<void> {
    this.stats.batches++;
    this.stats.items += batch.length;
    let results: readonly O[];
    try {
      results = await this.#run(batch.map((p) => p.item));
      if (results.length !== batch.length)
        throw new Error(`Batcher: ${results.length} results for ${batch.length} items`);
    } catch (e) {
      if (batch.length === 1) batch[0]!.reject(e);
      // One bad item must not fail the others: each on its own (these wait for nothing else).
      else await Promise.all(batch.map((p) => this.#send([p])));
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i]!));
  }
}
