/**
 * Runs a subscription's deliveries concurrently, up to a bound, keeping the
 * arrival order of deliveries that share an ordering key. Both transports use
 * it, so they agree on what runs when.
 */

/** One delivery taken from the broker. */
export interface DispatchJob {
  /** Handles the delivery and tells the broker the outcome. Should not reject; a rejection is passed to `onError`. */
  run(): Promise<void>;
  /** Gives the delivery back to the broker without running it (stop). */
  release(): void;
}

export class KeyedDispatcher {
  /** Deliveries taken and not yet finished: running, or waiting behind their key. */
  private held = 0;
  /** Per busy key, the deliveries waiting behind the one running, oldest first. */
  private readonly waiting = new Map<string, DispatchJob[]>();
  private readonly running = new Set<Promise<void>>();
  private roomWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    /** Most deliveries held at once (running or waiting for their key). */
    readonly capacity: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Deliveries held (running or waiting for their key). */
  get size(): number {
    return this.held;
  }

  hasRoom(): boolean {
    return this.held < this.capacity;
  }

  /** Resolves once another delivery may be taken. */
  room(): Promise<void> {
    if (this.hasRoom() || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Takes a delivery: it starts now (synchronously) unless a delivery with
   * the same key is held, in which case it starts when the ones before it
   * have finished. Callers wait for `room()` first; after `close()` the
   * delivery is released at once.
   */
  dispatch(key: string | undefined, job: DispatchJob): void {
    if (this.closed) {
      job.release();
      return;
    }
    this.held += 1;
    if (key !== undefined) {
      const queue = this.waiting.get(key);
      if (queue) {
        queue.push(job);
        return;
      }
      this.waiting.set(key, []);
    }
    this.start(key, job);
  }

  private start(key: string | undefined, job: DispatchJob): void {
    let outcome: Promise<void>;
    try {
      outcome = job.run();
    } catch (error) {
      outcome = Promise.reject(error);
    }
    const done: Promise<void> = outcome.catch(this.onError).finally(() => {
      this.running.delete(done);
      this.held -= 1;
      if (key !== undefined) {
        const next = this.waiting.get(key)?.shift();
        if (next) this.start(key, next);
        else this.waiting.delete(key);
      }
      this.wakeRoomWaiters();
    });
    this.running.add(done);
  }

  private wakeRoomWaiters(): void {
    if (!this.hasRoom() && !this.closed) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    waiters.forEach((resolve) => resolve());
  }

  /** Releases the deliveries waiting behind their key and waits for the running ones. */
  async close(): Promise<void> {
    this.closed = true;
    for (const queue of this.waiting.values()) {
      for (const job of queue.splice(0)) {
        this.held -= 1;
        job.release();
      }
    }
    this.wakeRoomWaiters();
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
