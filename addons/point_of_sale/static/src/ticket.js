// The ticket number and chain link on the receipt (a receipt.js section). The server numbers and
// seals a paid order when it stores it (ledger.py) and answers the push with {number, link};
// until then the receipt says the number is pending, so a receipt printed offline never shows a
// made-up one.
import { hub } from "./hub.js";
import { addReceiptSection, refreshReceipt } from "./receipt.js";
import { configId, state } from "./state.js";
import { _t } from "./i18n.js";
import { element } from "./ui.js";

const SHORT_LINK = 10; // hex digits of the link a receipt prints (ledger.short_link)
const KEPT = 500; // the newest numbers kept on the device, for reprints after a reload
const sealed = new Map(); // uuid -> {number, link}, from the push answers (newest last)
const cacheKey = () => `tickets:${configId}`;

hub.addEventListener("pos:loaded", async () => {
  try {
    const kept = (await state.store.getCached(cacheKey())) || [];
    for (const [uuid, ticket] of kept) if (!sealed.has(uuid)) sealed.set(uuid, ticket);
  } catch (error) {
    console.warn("the ticket numbers kept on this device could not be read", error);
  }
});

function keep() {
  const newest = [...sealed.entries()].slice(-KEPT);
  state.store.setCached(cacheKey(), newest).catch((error) => {
    console.warn("the ticket numbers could not be kept on this device", error);
  });
}

addReceiptSection((receipt, entry) => {
  const ticket = sealed.get(entry.uuid) || receipt.ticket;
  return [element("p", { className: "receipt-ticket", dataset: { state: ticket ? "sealed" : "pending" } },
    ticket ? _t("Ticket {number} · {link}", { number: ticket.number, link: ticket.link.slice(0, SHORT_LINK) })
      : _t("Ticket number pending (given when the server receives the order)"))];
});

hub.addEventListener("pos:pushed", (event) => {
  let shown = false;
  let added = false;
  for (const result of event.detail.results || []) {
    if (result && Number.isInteger(result.number) && typeof result.link === "string") {
      sealed.delete(result.uuid);
      sealed.set(result.uuid, { number: result.number, link: result.link });
      added = true;
      const entry = state.receiptEntry;
      if (entry && entry.uuid === result.uuid) {
        entry.receipt.ticket = sealed.get(result.uuid); // kept with the entry for a reprint
        shown = true;
      }
    }
  }
  if (added) keep();
  if (shown) refreshReceipt();
});
