import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { loadRuntimeConfig } from "./config/loadConfig";
import { Providers } from "./Providers";
import "./styles.css";

const element = document.getElementById("root");
if (!element) throw new Error("no #root element");
const root = createRoot(element);

loadRuntimeConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        <Providers config={config}>
          <App />
        </Providers>
      </StrictMode>,
    ),
  (error: Error) =>
    root.render(
      <main>
        <p className="action-status error">The dashboard could not read its settings: {error.message}</p>
      </main>,
    ),
);
