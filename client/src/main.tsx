// Client entry: the admin page at /admin, the app shell everywhere else.
import { render } from "preact";
import { AdminApp } from "./admin/admin-app";
import { App } from "./app";

const root = document.getElementById("app");
if (root) render(location.pathname.startsWith("/admin") ? <AdminApp /> : <App />, root);
