// Child processes for the local scripts and Node-side tests. Each runs in its own process group
// so that stopping it also stops what it started (npm → wrangler → workerd).
import { spawn } from "node:child_process";
import { ROOT } from "./local-config.mjs";

/**
 * @typedef {object} Running
 * @property {import("node:child_process").ChildProcess} child
 * @property {() => string} output Its stdout and stderr so far, interleaved.
 * @property {() => Promise<void>} stop Resolves once it has exited.
 */

/** @param {import("node:child_process").ChildProcess} child */
const exited = (child) => child.exitCode !== null || child.signalCode !== null;

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 * @returns {Running}
 */
export function start(cmd, args, env) {
  const child = spawn(cmd, args, { cwd: ROOT, env, detached: true, stdio: "pipe" });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  /** @param {NodeJS.Signals} signal */
  const signalGroup = (signal) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  return {
    child,
    output: () => out,
    stop: async () => {
      if (exited(child)) return;
      const exit = new Promise((resolve) => child.once("exit", resolve));
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/**
 * The first match of `pattern` (no g flag) in the output; rejects if the process exits first.
 * @param {Running} running
 * @param {RegExp} pattern
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<RegExpExecArray>}
 */
export function waitForOutput(running, pattern, { timeoutMs = 60_000 } = {}) {
  const { child } = running;
  return new Promise((resolve, reject) => {
    const fail = (/** @type {string} */ why) =>
      finish(() => reject(new Error(`${child.spawnargs.join(" ")} ${why}:\n${running.output()}`)));
    const check = () => {
      const match = pattern.exec(running.output());
      if (match) finish(() => resolve(match));
      return match !== null;
    };
    const onExit = () => check() || fail(`exited before printing ${pattern}`);
    const timer = setTimeout(() => fail(`printed no ${pattern} within ${timeoutMs} ms`), timeoutMs);
    /** @param {() => void} settle */
    const finish = (settle) => {
      clearTimeout(timer);
      child.stdout?.off("data", check);
      child.stderr?.off("data", check);
      child.off("exit", onExit);
      settle();
    };
    // start() listened first, so output() already holds each chunk when check() runs.
    child.stdout?.on("data", check);
    child.stderr?.on("data", check);
    child.once("exit", onExit);
    if (exited(child)) onExit();
    else check();
  });
}
