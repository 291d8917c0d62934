/**
 * pos_customer_display on the POS page: what the customer display shows follows the order on
 * screen. Each change (a line, a quantity, another order selected, a payment) is sent, a
 * moment later (the changes of one tap together), to POST /pos/config/<id>/display, which puts
 * it on the bus for the display (/pos/ui/<id>/display). A till whose server is away keeps
 * selling; its display catches up with the next change once the server is back.
 * document.body.dataset.displaySeq: the seq of the last state the server took.
 */
const pos = window.comptoirPos;
const DELAY_MS = 80;
let timer = null;
let pending = null;

function lineOf(line) {
  return { name: String(line.name || "").slice(0, 128), qty: String(line.qty),
           price_unit: String(line.price_unit), discount: String(line.discount || "0"),
           tax_rate: String(line.tax_rate || "0") };
}

function summary(order) {
  if (!order || !(order.lines || []).length) return null;
  return { reference: String(order.reference || "").slice(0, 64), state: "open",
           lines: order.lines.map(lineOf) };
}

function send(order) {
  pending = { order };
  clearTimeout(timer);
  timer = setTimeout(async () => {
    const body = pending;
    pending = null;
    try {
      const response = await pos.http.api(`/pos/config/${pos.currentData().config.id}/display`,
        { method: "POST", json: body });
      if (response.ok) document.body.dataset.displaySeq = String(response.body.seq);
    } catch {
      // the server is away: the next change tells the display again
    }
  }, DELAY_MS);
}

if (pos) {
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    pos.addEventListener("pos:order-changed", () => send(summary(pos.currentOrder())));
    pos.addEventListener("pos:order-paid", (event) => {
      const { order, entry } = event.detail;
      const receipt = (entry && entry.receipt) || {};
      send({ reference: String(order.reference || "").slice(0, 64), state: "paid",
             lines: (receipt.lines || []).map(lineOf),
             change: (Math.max(0, Number(receipt.change) || 0) / 100).toFixed(2) });
    });
    send(summary(pos.currentOrder()));
  };
  pos.addEventListener("pos:loaded", start);
  if (pos.ready) pos.ready.then(start);
}
