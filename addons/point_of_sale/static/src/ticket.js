// The ticket number and chain link on the receipt (a receipt.js section). The server numbers and
// seals a paid order when it stores it (ledger.py) and answers the push with {number, link};
// until then the receipt says the number is pending, so a receipt printed offline never shows a
// made-up one.
import { hub } from "./hub.js";
import { addReceiptSection, refreshReceipt } from "./receipt.js";
import { state } from "./state.js";
import { element } from "./ui.js";

const SHORT_LINK = 10; // hex digits of the link a receipt prints (ledger.short_link)
const sealed = new Map(); // uuid -> {number, link}, from the push answers of this page

addReceiptSection((receipt, entry) => {
  const ticket = sealed.get(entry.uuid) || receipt.ticket;
  return [element("p", { className: "receipt-ticket", dataset: { state: ticket ? "sealed" : "pending" } },
    ticket ? `Ticket ${ticket.number} · ${ticket.link.slice(0, SHORT_LINK)}`
      : "Ticket number pending (given when the server receives the order)")];
});

hub.addEventListener("pos:pushed", (event) => {
  let shown = false;
  for (const result of event.detail.results || []) {
    if (result && Number.isInteger(result.number) && typeof result.link === "string") {
      sealed.set(result.uuid, { number: result.number, link: result.link });
      const entry = state.receiptEntry;
      if (entry && entry.uuid === result.uuid) {
        entry.receipt.ticket = sealed.get(result.uuid); // kept with the entry for a reprint
        shown = true;
      }
    }
  }
  if (shown) refreshReceipt();
});
