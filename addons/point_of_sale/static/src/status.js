// The page's one status (the header's indicator), the banner under it and the "Needs attention"
// list of paid orders the server refused.
import { fetchWithTimeout, serverLastSeen } from "./http.js";
import { shownReference } from "./order.js";
import { emit, hub } from "./hub.js";
import * as money from "./money.js";
import { loginUrl, root, state } from "./state.js";
import { _t, catalogLocale, ngettext } from "./i18n.js";
import { $, confirmDialog, element, money2, showBanner } from "./ui.js";

export function updateBanner() {
  const signedOut = state.sync && state.sync.state.status === "signed-out";
  if (signedOut && state.screen !== "message") {
    showBanner([_t("You are signed out: paid orders wait on this till until you "),
                element("a", { href: loginUrl() }, _t("sign in again")), "."]);
  } else if (state.source === "cache" && state.canSell && state.serverBack) {
    const reload = element("button", { type: "button", className: "link" }, _t("reload"));
    reload.addEventListener("click", () => location.reload());
    showBanner([_t("The server is back: "), reload,
                _t(" when convenient to get the latest products and prices.")]);
  } else if (state.source === "cache" && state.canSell) {
    const when = state.cachedAt
      ? new Date(state.cachedAt).toLocaleString(catalogLocale().replace("_", "-")) : _t("earlier");
    showBanner([_t("Working offline with the products and prices loaded {when}. Paid orders are kept on this till and sent when the server is back.", { when })]);
  } else {
    showBanner(null);
  }
}

// -- one status, fed by every channel --------------------------------------------------------
//
// Each channel reports {level, text, title}: level "ok", "waiting" (orange) or "down" (red).
// Built in: "server" (this server answers: every call through http.js says so, and a probe of
// /web/health when nothing was heard for a while), "orders" (the push of paid orders: pending,
// refused, signed out), "bus" (pos_longpolling's main bus, from its "longpolling:state"
// events). Addons report their own through comptoirPos.status.report(channel, ...) (shared
// orders, the session check). The indicator shows the worst level in colour and the words of
// every channel not ok; it is green ("synced") only when every channel is ok.

const LEVELS = { ok: 0, waiting: 1, down: 2 };
const channels = new Map(); // name -> {level, text, title}
let lastSync = { status: "synced", pending: 0, rejected: 0 };

/** `sameServer`: the channel goes through this page's server, so "offline" says it already. */
export function report(channel, { level = "ok", text = "", title = "", sameServer = true } = {}) {
  if (!(level in LEVELS)) throw new Error(`status: unknown level ${level}`);
  const previous = channels.get(channel);
  if (previous && previous.level === level && previous.text === text && previous.title === title) return;
  if (channel === "server" && level === "ok" && previous && previous.level === "down") {
    serverBackAt = Date.now();
    setTimeout(renderStatus, RECONNECT_GRACE_MS + 50); // then red again if still down
  }
  const since = previous && previous.level === level ? previous.since : Date.now();
  channels.set(channel, { level, text, title, sameServer, since });
  renderStatus();
}

// When this server answers again, what goes through it (the bus, shared orders, the session
// check) reconnects within seconds: a channel still "down" from the outage is said as
// "reconnecting" (orange) for that long rather than red while all is coming back.
const RECONNECT_GRACE_MS = 8000;
let serverBackAt = 0;

/** The level and words a channel shows now (see RECONNECT_GRACE_MS). */
function shown(name, c, serverDown) {
  if (!serverDown && c.sameServer && name !== "server" && c.level === "down"
      && c.since <= serverBackAt && Date.now() - serverBackAt < RECONNECT_GRACE_MS) {
    return { level: "waiting", text: name === "orders" && lastSync.pending
      ? _t("pending {n}", { n: lastSync.pending }) : _t("reconnecting") };
  }
  return { level: c.level, text: c.text };
}

export function clear(channel) {
  if (channels.delete(channel)) renderStatus();
}

/** {level, text, title, channels: {name: {level, text, title}}}: what the indicator shows. */
export function currentStatus() {
  const server = channels.get("server");
  const serverDown = Boolean(server && server.level === "down");
  const entries = [...channels.entries()].map(([name, c]) => [name, { ...c, ...shown(name, c, serverDown) }]);
  const level = entries.reduce((worst, [, c]) => (LEVELS[c.level] > LEVELS[worst] ? c.level : worst), "ok");
  // With this server down, what goes through it is down too: say "offline" once, not per addon.
  const words = [];
  if (serverDown) {
    words.push(lastSync.pending ? _t("offline · pending {n}", { n: lastSync.pending }) : _t("offline"));
  }
  for (const [name, c] of entries) {
    if (c.level === "ok" || !c.text || name === "server") continue;
    if (serverDown && name === "orders") {
      if (lastSync.rejected) words.push(ngettext("{n} refused", "{n} refused", lastSync.rejected));
      continue;
    }
    if (serverDown && c.sameServer) continue;
    if (!words.includes(c.text)) words.push(c.text); // said once (e.g. "signed out")
  }
  return {
    level,
    text: words.length ? words.join(" · ") : _t("synced"),
    title: entries.filter(([, c]) => c.level !== "ok" && c.title).map(([, c]) => c.title).join("\n"),
    channels: Object.fromEntries(entries.map(([name, c]) => [name, { level: c.level, text: c.text, title: c.title }])),
  };
}

function renderStatus() {
  const status = currentStatus();
  const indicator = $("sync-indicator");
  indicator.dataset.state = status.level;
  $("sync-text").textContent = status.text;
  indicator.title = status.title;
  // Its name says the status; the details are in its title and the dialog a tap opens.
  indicator.setAttribute("aria-label", _t("Status: {text}", { text: status.text }));
  document.body.dataset.status = status.level;
  emit("pos:status", status);
}

/** The push's state (sync.js) as the "orders" channel; "pos:sync" as before for addons. */
export function renderSync(syncState) {
  let status = syncState.status;
  if (!navigator.onLine && status === "synced") status = "offline";
  lastSync = syncState;
  const refused = syncState.rejected ? ngettext("{n} refused", "{n} refused", syncState.rejected) : "";
  const pending = syncState.pending;
  let title = "";
  if (syncState.lastError && syncState.nextTry) {
    title = _t("Paid orders: {error} — next try at {time}", { error: _t(syncState.lastError),
      time: new Date(syncState.nextTry).toLocaleTimeString(catalogLocale().replace("_", "-")) });
  } else if (syncState.lastError) {
    title = _t("Paid orders: {error}", { error: _t(syncState.lastError) });
  }
  const refusedTitle = refused ? _t("{refused} by the server: see Needs attention", { refused }) : "";
  let entry;
  if (status === "signed-out") {
    entry = { level: "down", text: _t("signed out · pending {n}", { n: pending }), title };
  } else if (status === "offline") {
    entry = { level: "down", text: pending ? _t("offline · pending {n}", { n: pending }) : _t("offline"), title };
    if (!navigator.onLine) report("server", { level: "down", text: _t("offline"), title: _t("This device has no network") });
  } else if (status === "error") {
    entry = { level: "waiting", text: _t("pending {n} · retrying", { n: pending }), title };
  } else if (pending) {
    entry = { level: "waiting", text: _t("pending {n}", { n: pending }), title };
  } else {
    entry = { level: "ok", text: "", title: "" };
  }
  if (refused) {
    entry = { level: "down", text: [entry.text, refused].filter(Boolean).join(" · "),
              title: [entry.title, refusedTitle].filter(Boolean).join("\n") };
  }
  report("orders", entry);
  updateBanner();
  emit("pos:sync", { ...syncState, status });
  refreshAttention();
}

/** "server": heard through every call to this server; a probe when nothing was heard lately. */
export function watchServer({ probeMs }) {
  hub.addEventListener("pos:server", (event) => {
    const { reachable, reason } = event.detail;
    if (reachable) {
      report("server", { level: "ok" });
    } else {
      const why = _t(reason);
      report("server", { level: "down", text: _t("offline"), title: _t("This server: {reason}", { reason: why }) });
    }
  });
  const probe = async () => {
    if (Date.now() - serverLastSeen() >= probeMs) {
      try {
        await fetchWithTimeout(`${root}/web/health`, { cache: "no-store" }, Math.min(probeMs, 10000));
      } catch {
        // fetchWithTimeout already said it ("pos:server").
      }
    }
    setTimeout(probe, probeMs);
  };
  setTimeout(probe, probeMs);
  window.addEventListener("online", () => setTimeout(probe, 0));
  window.addEventListener("offline", () => report("server", { level: "down", text: _t("offline"),
                                                              title: _t("This device has no network") }));
}

// The bus is what brings other tills' changes and the server's news at once: "live updates"
// to a cashier.
const BUS_WORDS = { online: null, connecting: ["waiting", "live updates connecting"],
                    offline: ["down", "live updates offline"] };
// The words of BUS_WORDS and of a bus' states, for `make i18n`.
const BUS_TEXT = () => ({ "live updates connecting": _t("live updates connecting"),
                          "live updates offline": _t("live updates offline"),
                          connecting: _t("connecting"), offline: _t("offline"), online: _t("online") });

/** "bus": pos_longpolling's buses, when installed (their "longpolling:state" events). A bus is
 * "connecting" until a poll answers: on a quiet bus that is the poll's timeout (50 s) or the
 * heartbeat's PONG, and the status says so ("bus connecting", orange) meanwhile. */
export function watchBus() {
  hub.addEventListener("longpolling:state", (event) => {
    const { bus, state: busState } = event.detail;
    const main = window.comptoirPos && window.comptoirPos.longpolling && window.comptoirPos.longpolling.bus;
    const name = bus === main ? "bus" : `bus ${bus.label}`;
    if (!bus.running && busState === "offline") { clear(name); return; }
    const [level, text] = BUS_WORDS[busState] || ["ok", ""];
    const words = BUS_TEXT();
    const entry = { level, text: bus === main ? (words[text] || text) : `${bus.label.toLowerCase()} ${words[busState] || busState}`,
                    title: level === "ok" ? "" : `${bus.label}: ${words[busState] || busState}` };
    const previous = channels.get(name);
    const since = previous && previous.level === entry.level ? previous.since : Date.now();
    channels.set(name, { ...entry, sameServer: bus === main, since });
    renderStatus();
  });
}

// -- the status in detail: a tap on the indicator ----------------------------------------------
//
// A tablet has no pointer to hover the indicator's title: a tap lists every channel in words,
// with "Try again now" (probe this server, push the paid orders, ping the bus at once).

const CHANNEL_NAMES = () => ({
  server: _t("This server"), orders: _t("Paid orders"), bus: _t("Live updates"),
  shared: _t("Shared orders"), session: _t("Session"), central: _t("Central server"),
});

export function renderStatusDetail() {
  const names = CHANNEL_NAMES();
  const server = channels.get("server");
  const serverDown = Boolean(server && server.level === "down");
  const items = [...channels.entries()].map(([name, raw]) => {
    const c = { ...raw, ...shown(name, raw, serverDown) };
    // Through this server while it is down: what it says is that the server is down.
    const hidden = serverDown && c.sameServer && name !== "server" && name !== "orders";
    const words = c.level === "ok" ? _t("working")
      : hidden ? _t("waits for this server") : c.text || c.level;
    return element("li", { dataset: { channel: name, level: hidden ? "waiting" : c.level } },
      element("span", { className: "dot", "aria-hidden": "true" }),
      element("strong", {}, `${names[name] || name}: ${words}`),
      c.level !== "ok" && c.title ? element("span", { className: "status-detail" }, c.title) : null);
  });
  $("status-list").replaceChildren(...items);
}

export function watchStatusDetail({ retry }) {
  const dialog = $("status-dialog");
  $("sync-indicator").addEventListener("click", () => {
    renderStatusDetail();
    dialog.hidden = false;
    $("status-close").focus();
  });
  $("status-close").addEventListener("click", () => { dialog.hidden = true; });
  $("status-retry").addEventListener("click", async () => {
    await retry();
    renderStatusDetail();
  });
  hub.addEventListener("pos:status", () => { if (!dialog.hidden) renderStatusDetail(); });
}

/** Probe this server at once (after "Try again now"). */
export async function probeServer() {
  try {
    await fetchWithTimeout(`${root}/web/health`, { cache: "no-store" }, 5000);
  } catch {
    // said through "pos:server"
  }
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
    list.replaceChildren(element("li", { className: "empty" }, _t("Nothing needs attention.")));
    return;
  }
  list.replaceChildren(...state.attention.map((entry) => {
    const retry = element("button", { type: "button", className: "secondary" }, _t("Send again"));
    retry.addEventListener("click", async () => {
      entry.status = "pending";
      delete entry.error;
      await state.store.put("outbox", entry);
      await refreshAttention();
      state.sync.kick();
    });
    const discard = element("button", { type: "button", className: "danger" }, _t("Discard"));
    discard.addEventListener("click", async () => {
      const sure = await confirmDialog(_t("Discard {reference}? The server will never receive this paid order; record it by hand first.", { reference: shownReference(entry.order.reference) }), _t("Discard"));
      if (!sure) return;
      await state.store.delete("outbox", entry.uuid);
      await refreshAttention();
      state.sync.kick();
    });
    const error = entry.error || {};
    return element("li", { className: "attention-item", dataset: { uuid: entry.uuid } },
      element("div", { className: "attention-main" },
        element("strong", {}, shownReference(entry.order.reference)),
        element("span", { className: "muted" },
          " " + _t("{amount} · paid {when}", { amount: money2(entry.receipt ? entry.receipt.total : money.cents(entry.order.amount_total) || 0),
                                               when: new Date(entry.paid_at).toLocaleString(catalogLocale().replace("_", "-")) })),
        element("p", { className: "attention-error" },
          error.message || _t("rejected"), error.code ? element("code", {}, ` (${error.code})`) : null)),
      element("div", { className: "attention-actions" }, retry, discard));
  }));
}
