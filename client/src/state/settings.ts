// The person's preferences, kept in this browser: the model and the cell time limit.
import { effect, signal } from "@preact/signals";

const KEY = "gradual.settings";
interface Settings {
  model: string | null;
  timeLimitSeconds: number;
}
const saved: Partial<Settings> = (() => {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<Settings>;
  } catch {
    return {};
  }
})();

export const DEFAULT_TIME_LIMIT_SECONDS = 30;
export const chosenModel = signal<string | null>(saved.model ?? null);
export const timeLimitSeconds = signal<number>(
  saved.timeLimitSeconds ?? DEFAULT_TIME_LIMIT_SECONDS,
);

effect(() => {
  const settings: Settings = { model: chosenModel.value, timeLimitSeconds: timeLimitSeconds.value };
  localStorage.setItem(KEY, JSON.stringify(settings));
});
