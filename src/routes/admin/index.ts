// The admin API, loaded on its first request (routes/lazy.ts): few isolates ever serve it.
import { lazyApp } from "../lazy";
import { adminActions } from "./actions";
import { adminReads } from "./reads";

export const admin = lazyApp().route("/api/admin", adminReads).route("/api/admin", adminActions);
