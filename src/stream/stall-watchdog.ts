/**
 * Fires once when nothing happened for a while. Transfers of images have no
 * sensible whole-request deadline (4 GiB over a slow link is fine), but a
 * connection on which no byte moved for minutes is dead and must not hold a
 * spawn or an import forever.
 */
export class StallWatchdog {
  private timer: NodeJS.Timeout | null = null;
  private fired = false;

  /**
   * @param ms how long without activity counts as a stall
   * @param onStall called once, on the first stall
   */
  constructor(
    private readonly ms: number,
    private readonly onStall: () => void,
  ) {}

  /** Starts (or restarts) the countdown. */
  start(): void {
    if (this.fired) return;
    if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.fired = true;
        this.onStall();
      }, this.ms);
      // A watchdog alone must not keep a CLI process alive.
      this.timer.unref();
    } else {
      this.timer.refresh();
    }
  }

  /** Activity: the countdown starts again. */
  kick(): void {
    if (this.timer !== null) this.timer.refresh();
  }

  /** No more watching (the transfer ended). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  get hasFired(): boolean {
    return this.fired;
  }
}
