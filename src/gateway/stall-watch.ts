// Notices an upstream that goes quiet for `ms`. One timer per stream, re-armed only when it
// fires, rather than a timer per chunk: a chunk just notes the time.
export class StallWatch {
  private last = Date.now();
  private timer: ReturnType<typeof setTimeout> | undefined;
  stalled = false;

  constructor(
    private readonly ms: number,
    private readonly onStall: () => void,
  ) {}

  start() {
    this.last = Date.now();
    this.arm(this.ms);
  }

  beat() {
    this.last = Date.now();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delay: number) {
    this.timer = setTimeout(() => {
      const quiet = Date.now() - this.last;
      if (quiet < this.ms) return this.arm(this.ms - quiet);
      this.stalled = true;
      this.onStall();
    }, delay);
  }
}
