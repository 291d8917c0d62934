// The header's sync indicator, the banner under it and the "Needs attention" list of paid orders
// the server refused.
import { emit } from "./hub.js";
import * as money from "./money.js";
import { loginUrl, state } from "./state.js";
import { $, confirmDialog, element, money2, showBanner } from "./ui.js";

export function updateBanner() {
  const signedOut = state.sync && state.sync.state.status === "signed-out";
  if (signedOut && state.screen !== "message") {
    showBanner(["You are signed out: paid orders wait on this till until you ",
                element("a", { href: loginUrl() }, "sign in again"), "."]);
  } else if (state.source === "cache" && state.canSell && state.serverBack) {
    const reload = element("button", { type: "button", className: "link" }, "reload");
    reload.addEventListener("click", () => location.reload());
    showBanner(["The server is back: ", reload,
                " when convenient to get the latest products and prices."]);
  } else if (state.source === "cache" && state.canSell) {
    showBanner(["Working offline with the products and prices loaded ",
                state.cachedAt ? new Date(state.cachedAt).toLocaleString() : "earlier",
                ". Paid orders are kept on this till and sent when the server is back."]);
  } else {
    showBanner(null);
  }
}

export function renderSync(syncState) {
  const indicator = $("sync-indicator");
  let status = syncState.status;
  if (!navigator.onLine && status === "synced") status = "offline";
  let text;
  if (status === "synced") text = "synced";
  else if (status === "offline") text = syncState.pending ? `offline · pending ${syncState.pending}` : "offline";
  else if (status === "signed-out") text = `signed out · pending ${syncState.pending}`;
  else if (status === "error") text = `pending ${syncState.pending} · retrying`;
  else text = `pending ${syncState.pending}`;
  indicator.dataset.state = status;
  $("sync-text").textContent = text;
  indicator.title = syncState.lastError
    ? `${syncState.lastError}${syncState.nextTry ? ` — next try at ${new Date(syncState.nextTry).toLocaleTimeString()}` : ""}`
    : "";
  updateBanner();
  emit("pos:sync", { ...syncState, status });
  refreshAttention();
}

export async function refreshAttention() {
  if (!state.store) return;
  const entries = await state.store.all("outbox");
  state.attention = entries.filter((entry) => entry.status === "rejected")
    .sort((a, b) => (a.paid_at < b.paid_at ? -1 : 1));
  const button = $("attention-button");
  button.hidden = state.attention.length === 0;
  $("attention-count").textContent = String(state.attention.length);
  if (!$("attention-dialog").hidden) renderAttention();
}

export function renderAttention() {
  const list = $("attention-list");
  if (!state.attention.length) {
    list.replaceChildren(element("li", { className: "empty" }, "Nothing needs attention."));
    return;
  }
  list.replaceChildren(...state.attention.map((entry) => {
    const retry = element("button", { type: "button", className: "secondary" }, "Send again");
    retry.addEventListener("click", async () => {
      entry.status = "pending";
      delete entry.error;
      await state.store.put("outbox", entry);
      await refreshAttention();
      state.sync.kick();
    });
    const discard = element("button", { type: "button", className: "danger" }, "Discard");
    discard.addEventListener("click", async () => {
      const sure = await confirmDialog(`Discard ${entry.order.reference}? The server will never `
        + "receive this paid order; record it by hand first.", "Discard");
      if (!sure) return;
      await state.store.delete("outbox", entry.uuid);
      await refreshAttention();
      state.sync.kick();
    });
    const error = entry.error || {};
    return element("li", { className: "attention-item", dataset: { uuid: entry.uuid } },
      element("div", { className: "attention-main" },
        element("strong", {}, entry.order.reference),
        element("span", { className: "muted" },
          ` ${money2(money.cents(entry.order.amount_total) || 0)} · paid ${new Date(entry.paid_at).toLocaleString()}`),
        element("p", { className: "attention-error" },
          error.message || "rejected", error.code ? element("code", {}, ` (${error.code})`) : null)),
      element("div", { className: "attention-actions" }, retry, discard));
  }));
}
