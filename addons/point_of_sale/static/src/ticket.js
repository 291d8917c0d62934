// The ticket number and chain link on the receipt. The server numbers and seals a paid order
// when it stores it (ledger.py) and answers the push with {number, link}; until then the
// receipt says the number is pending, so a receipt printed offline never shows a made-up one.
import { hub } from "./hub.js";
import { $, element } from "./ui.js";

const SHORT_LINK = 10; // hex digits of the link a receipt prints (ledger.short_link)
const sealed = new Map(); // uuid -> {number, link}, from the push answers of this page

/** The receipt's ticket line for the order on the receipt screen. */
export function renderTicket() {
  const receipt = $("receipt");
  const uuid = receipt.dataset.uuid;
  if (!uuid) return;
  let line = receipt.querySelector(".receipt-ticket");
  if (!line) {
    line = element("p", { className: "receipt-ticket", id: "receipt-ticket" });
    (receipt.querySelector("header") || receipt).append(line);
  }
  const ticket = sealed.get(uuid);
  line.dataset.state = ticket ? "sealed" : "pending";
  line.textContent = ticket
    ? `Ticket ${ticket.number} · ${ticket.link.slice(0, SHORT_LINK)}`
    : "Ticket number pending (given when the server receives the order)";
}

hub.addEventListener("pos:order-paid", renderTicket);
hub.addEventListener("pos:pushed", (event) => {
  for (const result of event.detail.results || []) {
    if (result && Number.isInteger(result.number) && typeof result.link === "string") {
      sealed.set(result.uuid, { number: result.number, link: result.link });
    }
  }
  renderTicket();
});
