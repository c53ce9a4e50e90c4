// Live state from elsewhere (another tab, another device): Electric's shapes when the server
// has live sync, else the plain reads, refreshed on a modest interval and when the tab returns.
import { startPolling } from "./poll";

export function startSync(mode: "electric" | "unavailable") {
  if (mode === "electric") {
    void import("./electric").then(
      (electric) => electric.startElectric(),
      () => startPolling(),
    );
  } else {
    startPolling();
  }
}
