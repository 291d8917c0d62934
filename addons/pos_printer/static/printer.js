/**
 * pos_printer on the POS page, when the config names a receipt printer (`printer_address`):
 *
 *  - a paid order's receipt is printed by this till's server once the server has the order
 *    (after the push that stored it): POST /pos/config/<id>/print {"order_uuid"}; a printer that
 *    is off, out of paper or unreachable is said in a toast, the server keeps the receipt in its
 *    queue and the page asks it to retry (every `data-print-retry-ms`, 15 s) until it went out;
 *  - a cash payment opens the drawer (POST /pos/config/<id>/drawer, once per order), when the
 *    config's `printer_drawer_on_cash` is on;
 *  - the receipt screen gets *Print on printer* (again: a duplicate the server numbers and
 *    journals, POST /pos/config/<id>/orders/<uuid>/duplicate, printed DUPLICATA n° k) beside the browser's
 *    *Print receipt*, which stays the fallback; the header gets *Open drawer* (a manager's).
 *
 * document.body.dataset.printer tells what the last print did: "printed", "queued", "error".
 */
const pos = window.comptoirPos;
const body = document.body;
const _t = (text, values) => (pos && pos._t ? pos._t(text, values) : text);

const waiting = new Set(); // paid orders to print once the server has them
const copies = new Map(); // order uuid -> copies asked for so far
let lastPaid = null;
let retryTimer = null;

const retryMs = () => Number(new URLSearchParams(location.search).get("print_retry_ms")
  || body.dataset.printRetryMs || 15000);

function say(answer, what) {
  body.dataset.printer = answer.status === "queued" ? "queued" : "printed";
  if (answer.status === "queued") {
    pos.notify(_t("{what} waits in the print queue: {reason}", { what, reason: answer.error.message }), "error");
    scheduleRetry();
  } else if (answer.status === "printed") {
    pos.notify(_t("{what} printed.", { what }));
  }
}

function failed(response, fallback) {
  body.dataset.printer = "error";
  const message = response && response.body && response.body.error ? response.body.error.message : fallback;
  pos.notify(message, "error");
}

async function printOrder(uuid, copy) {
  copies.set(uuid, copy);
  try {
    const response = await pos.http.api(`/pos/config/${configId()}/print`, {
      method: "POST", json: { order_uuid: uuid, copy } });
    if (!response.ok) return failed(response, _t("The receipt was not printed."));
    say(response.body, copy > 1 ? _t("The copy") : _t("The receipt"));
  } catch (error) {
    failed(null, _t("The receipt was not printed (the server is needed): {error}. Print it from the browser.",
      { error: error.message }));
  }
}

/** A copy after the first is a duplicate the server numbers and journals (point_of_sale's
 * duplicates: DUPLICATA n° k), then printed as copy k + 1 of the receipt. */
async function duplicate(uuid) {
  try {
    const response = await pos.http.api(
      `/pos/config/${configId()}/orders/${encodeURIComponent(uuid)}/duplicate`, { method: "POST", json: {} });
    if (!response.ok) return failed(response, _t("The copy was not printed."));
    await printOrder(uuid, response.body.copy + 1);
  } catch (error) {
    failed(null, _t("The copy needs the server to be numbered: {error}", { error: error.message }));
  }
}

function scheduleRetry() {
  if (retryTimer) return;
  retryTimer = setTimeout(async () => {
    retryTimer = null;
    try {
      const response = await pos.http.api(`/pos/config/${configId()}/print-queue/retry`, { method: "POST" });
      if (!response.ok) return;
      const printed = response.body.results.filter((r) => r.status === "printed").length;
      if (printed) {
        body.dataset.printer = "printed";
        pos.notify(pos.ngettext("{n} waiting receipt printed.", "{n} waiting receipts printed.", printed, { n: printed }));
      }
      if (response.body.waiting) scheduleRetry();
    } catch {
      scheduleRetry();
    }
  }, retryMs());
}

async function openDrawer(json) {
  try {
    const response = await pos.http.api(`/pos/config/${configId()}/drawer`, { method: "POST", json });
    if (!response.ok) return failed(response, _t("The drawer did not open."));
    body.dataset.drawer = response.body.status;
  } catch (error) {
    failed(null, _t("The drawer did not open (the server is needed): {error}", { error: error.message }));
  }
}

const configId = () => pos.currentData().config.id;

function start(data) {
  const config = data && data.config;
  if (!config || !config.printer_address) return;
  body.dataset.printer = "ready";
  pos.addEventListener("pos:order-paid", (event) => {
    const { order } = event.detail;
    lastPaid = order.uuid;
    waiting.add(order.uuid);
    const cash = (order.payments || []).some((p) => p.method === "cash" && Number(p.amount) > 0);
    if (cash && config.printer_drawer_on_cash) openDrawer({ reason: "cash_payment", order_uuid: order.uuid });
  });
  pos.addEventListener("pos:pushed", (event) => {
    for (const result of event.detail.results || []) {
      if (!waiting.has(result.uuid) || !["created", "duplicate"].includes(result.status)) continue;
      waiting.delete(result.uuid);
      printOrder(result.uuid, 1);
    }
  });
  const reprint = document.createElement("button");
  reprint.type = "button";
  reprint.className = "secondary big";
  reprint.id = "print-on-printer";
  reprint.textContent = _t("Print on printer");
  reprint.addEventListener("click", () => {
    if (!lastPaid) return;
    if (waiting.has(lastPaid)) {
      pos.notify(_t("The receipt prints once the server has the order."));
      return;
    }
    if (!copies.get(lastPaid)) {
      printOrder(lastPaid, 1);
      return;
    }
    reprint.disabled = true;
    duplicate(lastPaid).finally(() => { reprint.disabled = false; });
  });
  document.getElementById("print-receipt")?.before(reprint);
  const drawer = document.createElement("button");
  drawer.type = "button";
  drawer.className = "header-button";
  drawer.id = "open-drawer";
  drawer.textContent = _t("Open drawer");
  drawer.title = _t("Open the cash drawer (a manager's)");
  drawer.addEventListener("click", () => openDrawer({ reason: "manager" }));
  document.getElementById("sync-indicator")?.before(drawer);
}

if (pos) {
  let started = false;
  const once = (data) => { if (!started) { started = true; start(data); } };
  pos.addEventListener("pos:loaded", (event) => once(event.detail));
  if (pos.ready) pos.ready.then(once);
}
