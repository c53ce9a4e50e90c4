// One GET of the admin API as a view sees it: loading, failed (with the server's message) or
// ready. A reload keeps the rows on screen until the new ones arrive, so actions don't flash.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, describe } from "./api";

export type Resource<T> =
  | { status: "loading"; data?: T }
  | { status: "error"; message: string; data?: T }
  | { status: "ready"; data: T };

/** The resource, and a reload whose promise settles once the new state is set. */
export function useResource<T>(path: string): [Resource<T>, () => Promise<void>] {
  const [state, setState] = useState<Resource<T>>({ status: "loading" });
  // Only the newest request may settle the state (a slow older one must not overwrite it).
  const latest = useRef(0);
  const reload = useCallback(() => {
    const call = ++latest.current;
    setState((s) => ({ status: "loading", data: s.data }));
    return api<T>(path).then(
      (data) => {
        if (call === latest.current) setState({ status: "ready", data });
      },
      (error) => {
        if (call === latest.current)
          setState((s) => ({ status: "error", message: describe(error), data: s.data }));
      },
    );
  }, [path]);
  useEffect(() => void reload(), [reload]);
  return [state, reload];
}
