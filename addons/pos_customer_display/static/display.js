// The customer display (GET /pos/ui/<id>/display): what the cashier's page shows of the order
// on screen, from the bus. It reads what is shown now (GET /pos/config/<id>/display), then
// long-polls its channel (POST /longpolling/poll) and shows each newer message (`seq`).
// document.body.dataset.state: "loading", "idle", "open", "paid", "offline"; data-seq the seq.
const body = document.body;
const root = body.dataset.root || "";
const configId = body.dataset.configId;
const channel = body.dataset.channel;
const query = new URLSearchParams(location.search);
const POLL_TIMEOUT_S = Number(query.get("bus_poll_timeout") || 50);
const RETRY_MS = Number(query.get("retry_ms") || 2000);
let shown = 0;
let last = 0;

const $ = (id) => document.getElementById(id);

function money(text, message) {
  const value = Number(text);
  try {
    if (message.currency_code) {
      return new Intl.NumberFormat(message.locale || undefined,
        { style: "currency", currency: message.currency_code }).format(value);
    }
    return new Intl.NumberFormat(message.locale || undefined,
      { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
  } catch {
    return value.toFixed(2);
  }
}

function show(message) {
  if (!message || typeof message.seq !== "number" || message.seq <= shown) return;
  shown = message.seq;
  body.dataset.seq = String(shown);
  body.dataset.state = message.state;
  const idle = message.state === "idle" || !(message.lines || []).length;
  $("welcome").hidden = !idle || message.state === "paid";
  $("lines").replaceChildren(...(message.lines || []).map((line) => {
    const item = document.createElement("li");
    const name = document.createElement("span");
    const qty = document.createElement("span");
    qty.className = "qty";
    qty.textContent = `${line.qty} ×`;
    name.append(qty, line.name);
    const amount = document.createElement("span");
    amount.textContent = money(line.amount, message);
    item.append(name, amount);
    return item;
  }));
  $("total-row").hidden = idle;
  $("total").textContent = idle ? "" : money(message.total, message);
  $("thanks").hidden = message.state !== "paid";
  const words = $("thanks").dataset;  // in the till's language, from the page's template
  $("thanks").textContent = message.state === "paid"
    ? `${words.thanks}${message.change && Number(message.change) ? ` ${words.yourChange} ${money(message.change, message)}` : ""}`
    : "";
}

async function json(path, init) {
  const response = await fetch(root + path, { credentials: "same-origin", cache: "no-store",
    headers: { Accept: "application/json", "Content-Type": "application/json" }, ...init });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

async function listen() {
  for (;;) {
    try {
      const answer = await json("/longpolling/poll", { method: "POST", body: JSON.stringify(
        { channels: [channel], last, options: { timeout: POLL_TIMEOUT_S } }) });
      for (const notification of answer) {
        last = Math.max(last, notification.id);
        if (notification.channel === channel) show(notification.message);
      }
      if (body.dataset.state === "offline") body.dataset.state = "idle";
    } catch {
      body.dataset.state = "offline";
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

async function start() {
  try {
    show(await json(`/pos/config/${configId}/display`));
  } catch {
    body.dataset.state = "offline";
  }
  if (body.dataset.state === "loading") body.dataset.state = "idle";
  listen();
}

start();
