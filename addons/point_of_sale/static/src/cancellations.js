// Lines and orders cancelled before payment (docs/fiscal.md): each goes to the server's journal
// of events (POST /pos/config/<id>/cancellations) with its count of lines and amount with tax;
// while the server is out of reach they wait in localStorage and go with the next one, or when
// the browser is back online.
import { api } from "./http.js";
import * as money from "./money.js";
import { configId } from "./state.js";

const key = () => `cancellations:${configId}`;

function queued() {
  try {
    const list = JSON.parse(localStorage.getItem(key()) || "[]");
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

let sending = false;
let again = false;

/** Send what waits; one request at a time (a call during one makes another after it). */
export async function sendCancellations() {
  if (sending) {
    again = true;
    return;
  }
  sending = true;
  try {
    do {
      again = false;
      await sendOnce();
    } while (again);
  } finally {
    sending = false;
  }
}

async function sendOnce() {
  const waiting = queued();
  if (!waiting.length) return;
  try {
    const response = await api(`/pos/config/${configId}/cancellations`,
                               { method: "POST", json: { cancellations: waiting.slice(0, 100) }, timeoutMs: 4000 });
    // Sent (or refused as a whole: a malformed entry would block the others for ever).
    if (response.ok || (response.status >= 400 && response.status < 500 && response.status !== 401)) {
      localStorage.setItem(key(), JSON.stringify(queued().slice(waiting.slice(0, 100).length)));
    }
  } catch {
    // out of reach: they wait
  }
}

/** Trace `lines` (line objects of the order) removed from order `uuid` before payment. */
export function traceCancellation(kind, uuid, lines) {
  if (!lines.length) return;
  const total = money.orderTotals(lines).total;
  localStorage.setItem(key(), JSON.stringify([...queued(), {
    kind, order_uuid: uuid, lines: lines.length, amount: money.formatCents(total),
    at: new Date().toISOString(),
  }]));
  sendCancellations();
}

window.addEventListener("online", () => { sendCancellations(); });
