// Client entry: the app, or the admin page (its own chunk) at /admin.
import { render } from "preact";
import { boot } from "./agent/boot";
import { App } from "./app";
import "./styles/tokens.css";
import "./styles/base.css";
import "./styles/layout.css";
import "./styles/chat.css";
import "./styles/cell.css";
import "./styles/workspace.css";

const root = document.getElementById("app");
if (root && location.pathname.startsWith("/admin")) {
  void import("./admin/admin-app").then(({ AdminApp }) => render(<AdminApp />, root));
} else if (root) {
  render(<App />, root);
  void boot();
}
