// The fault drill's plan: its size (full or --short), a seeded random source, and when each
// fault happens. Everything random in a run comes from the seed, so `--seed N` repeats the same
// faults at the same moments against the same load (the app's own timing still varies).

/** How big a run is: the full drill, and the short one `npm test` runs. */
export const SIZES = {
  full: {
    seconds: 60,
    accounts: 20,
    streamsPerAccount: 2,
    outages: 2,
    outageMs: [3_000, 5_000],
    modelFaultMs: 5_000,
    // The full run waits for real time to make what is left open stale; see drill-books.mjs.
    fastForward: false,
  },
  short: {
    seconds: 15,
    accounts: 8,
    streamsPerAccount: 2,
    outages: 1,
    outageMs: [1_500, 2_000],
    modelFaultMs: 2_000,
    fastForward: true,
  },
};

/** A small seeded generator (mulberry32): good enough to place faults, and repeatable. */
export function random(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** An integer in [min, max]. */
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}

/**
 * When each fault happens, in ms from the start of the load. Between a warm-up and a tail (where
 * the app shows it recovered from the last fault) the run is cut into one slot per fault, the
 * kinds are shuffled over the slots and each lands at a random moment of its own, leaving the
 * slot's end free: every fault starts with the app settled after the one before, so what it
 * does can be told apart (and an outage's recovery measured).
 * @returns {{ kind: "outage" | "model" | "reset" | "disconnect", at: number, ms: number }[]}
 */
export function schedule(size, rng) {
  const kinds = [
    ...Array.from({ length: size.outages }, () => "outage"),
    "model",
    "reset",
    "disconnect",
  ];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  const total = size.seconds * 1000;
  const warmUp = Math.round(total * 0.1);
  const tail = Math.round(total * 0.15);
  const slot = Math.floor((total - warmUp - tail) / kinds.length);
  return kinds.map((kind, i) => {
    const ms =
      kind === "outage"
        ? rng.int(size.outageMs[0], size.outageMs[1])
        : kind === "model"
          ? size.modelFaultMs
          : 0;
    // The fault and a third of the slot after it fit inside the slot.
    const latest = Math.max(0, Math.floor(slot * 0.66) - ms);
    return { kind, at: warmUp + i * slot + rng.int(0, latest), ms };
  });
}
