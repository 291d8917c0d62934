/**
 * Comptoir point of sale: the page a till's staff uses (GET /pos/ui/<config id>).
 *
 * Plain ES modules, no build step; this one is the entry: it puts the public facade
 * `window.comptoirPos` over the page's modules, then starts the page.
 *
 *   hub.js      the event hub ("pos:*" events) and the `ready` promise
 *   state.js    the page's one mutable state, its settings (body data-* / ?query)
 *   http.js     the one HTTP helper (fetch with a timeout), api() for this server's JSON
 *   ui.js       elements, screens, messages, banner, toasts, dialogs
 *   order.js    the order model (pure: references, lines, the wire order, the receipt)
 *   sell.js     the sell screen: tabs, lines, the line editor, products, search, barcodes
 *   payment.js  cash, change, paying (open order -> outbox in one transaction)
 *   receipt.js  the receipt screen (addReceiptSection: lines other modules print on it)
 *   i18n.js     _t() and ngettext(): the config's language, from the catalog in the page
 *   format.js   amounts and dates in the config's locale and currency (Intl)
 *   customers.js  the customer dialog: search, create (needs the server), phone/e-mail edits
 *   ticket.js   the ticket number and chain link on the receipt, once the server answered
 *   close.js    closing the session: cash count, confirmation, the session report
 *   cash.js     cash control: the opening float, cash in and out (the header's Cash)
 *   staff.js    who is at the till: the header's cashier, switched with a PIN (offline too)
 *   scanner.js, barcodes.js   keyboard barcode scanners anywhere on the sell screen; weight
 *               and price labels
 *   status.js   the sync indicator, the banner, "Needs attention"
 *   startup.js  store, data (server or cache), login, open orders, events, "pos:loaded"
 *   money.js, store.js, sync.js   cents arithmetic, IndexedDB, the background push
 *
 * Other addons' modules (added by `register_assets("pos")`) run after this one, so
 * `window.comptoirPos` exists when they do. Events and members: docs/pos_page.md.
 *
 * Settings (attributes of <body>, or query parameters that win over them):
 *   data-push-retry-ms / ?push_retry_ms=          first retry delay of a failed push (1000)
 *   data-push-retry-max-ms / ?push_retry_max_ms=  the back-off's cap (30000)
 *   data-server-check-ms / ?server_check_ms=      probe /web/health after this long unheard (10000)
 *   data-service-worker                           the service worker's URL ("" to go without)
 */
import { hub, ready } from "./hub.js";
import { SignedOut, Unreachable, api, fetchWithTimeout } from "./http.js";
import { applyOrder, dropOrder, newOrder, patchOrder, selectOrder } from "./sell.js";
import { addReceiptSection, refreshReceipt } from "./receipt.js";
import { fatal, start } from "./startup.js";
import { currentOrder, state } from "./state.js";
import { clear, currentStatus, report } from "./status.js";
import "./ticket.js";
import "./close.js";
import "./cash.js";
import "./staff.js";
import "./scanner.js";
import { $, blockUi, element, toast, unblockUi } from "./ui.js";
import { _t, ngettext, pgettext } from "./i18n.js";

class ComptoirPos {
  constructor() {
    this.ready = ready;
    /** The page's HTTP helper, for addons: fetch(url, init, timeoutMs) throws Unreachable. */
    this.http = Object.freeze({ fetch: fetchWithTimeout, api, Unreachable, SignedOut });
    /** The page's one status: report(channel, {level, text, title, sameServer}), clear, current. */
    this.status = Object.freeze({ report, clear, current: currentStatus });
    /** The page's translations (i18n.js), for addons' scripts: _t(text, values), ngettext. */
    this._t = _t;
    this.ngettext = ngettext;
    this.pgettext = pgettext;
  }

  addEventListener(...args) { hub.addEventListener(...args); }
  removeEventListener(...args) { hub.removeEventListener(...args); }
  dispatchEvent(event) { return hub.dispatchEvent(event); }

  currentData() { return state.data; }
  loginNumber() { return state.loginNumber; }
  currentOrder() { const order = currentOrder(); return order ? structuredClone(order) : null; }
  openOrders() { return state.orders.map((order) => structuredClone(order)); }
  blockUi(message) {
    // The page closed its session itself and shows the report: it sells nothing any more, and
    // an addon's "session closed" block would only hide the report.
    // While this page's closing request runs, a block (the bus is faster than the answer)
    // waits for its outcome (close.js).
    if (state.closedHere) return;
    if (state.closingHere) state.blockedWhileClosing = message;
    else blockUi(message);
  }
  unblockUi() { unblockUi(); }
  notify(message, kind = "info") { toast(message, kind); }
  pushNow() { return state.sync ? state.sync.kick() : Promise.resolve(); }
  outbox() { return state.store ? state.store.all("outbox") : Promise.resolve([]); }
  syncState() { return state.sync ? { ...state.sync.state } : null; }

  applyOrder(order) { return applyOrder(order); }
  dropOrder(uuid, message) { return dropOrder(uuid, message); }
  patchOrder(uuid, fields) { patchOrder(uuid, fields); }
  selectOrder(uuid) { if (state.orders.some((o) => o.uuid === uuid)) selectOrder(uuid); }
  newOrder() { return state.canSell ? newOrder().then((o) => structuredClone(o)) : Promise.resolve(null); }

  addReceiptSection(render) { addReceiptSection(render); }
  refreshReceipt() { refreshReceipt(); }

  addButton(label, onClick) {
    const button = element("button", { type: "button", className: "secondary big" }, label);
    button.addEventListener("click", () => onClick(this.currentOrder()));
    $("order-actions").insertBefore(button, $("pay-button"));
    return button;
  }
}

window.comptoirPos = new ComptoirPos();

// After every module of the page ran (the addons' too), so their listeners see "pos:loaded".
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => start().catch(fatal));
} else {
  start().catch(fatal);
}
