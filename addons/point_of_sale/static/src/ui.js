// The page's small UI kit: building elements, screens, full-page messages, the banner, toasts,
// the confirm and blocking dialogs, money as shown.
import { formatter } from "./format.js";
import { _t } from "./i18n.js";
import { state } from "./state.js";

export const $ = (id) => document.getElementById(id);

export function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("aria-") || key === "role" || key === "for") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An amount in cents as the config shows it: its locale and currency (format.js), e.g.
 * "3,96 €" for fr-FR and EUR, "3.96" with no currency. */
export function money2(amount) {
  return formatter(state.data && state.data.config).money(amount);
}

/** A plain decimal ("12.50") as the config's locale writes it: "12,50" in fr-FR. Fields take
 * either separator (money.js). */
export function numberText(text) {
  return formatter(state.data && state.data.config).decimalText(text);
}

// A mouse or a scanner's keyboard: focus the field. A touch screen: don't, or its on-screen
// keyboard pops up over the till (the keys of a scanner still reach the field, see startup.js).
const finePointer = window.matchMedia ? window.matchMedia("(pointer: fine)").matches : true;
export function focusField(id) {
  if (finePointer) $(id).focus();
}

let toastTimer = null;
const TOAST_KINDS = ["info", "warning", "error"];
/** A short message under the header and the banner, in a room of its own (it covers nothing):
 * "info" (something happened: blue), "warning" (something changed that the cashier should
 * know: amber) or "error" (something failed: red). A tap dismisses it. */
export function toast(message, kind = "info") {
  const box = $("toast");
  box.textContent = message;
  box.dataset.kind = TOAST_KINDS.includes(kind) ? kind : "info";
  box.hidden = false;
  box.onclick = () => { box.hidden = true; };
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, kind === "info" ? 3500 : 6000);
}

export function blockUi(message) {
  $("block-text").textContent = message;
  $("block-dialog").hidden = false;
  // Nothing behind the popup takes a sale, not even a barcode scanner's keys.
  const till = $("pos");
  if (till) till.inert = true;
  $("block-reload").focus();
}

export function unblockUi() {
  $("block-dialog").hidden = true;
  const till = $("pos");
  if (till) till.inert = false;
}

export function confirmDialog(message, okLabel = _t("OK")) {
  return new Promise((resolve) => {
    const dialog = $("confirm-dialog");
    $("confirm-text").textContent = message;
    $("confirm-ok").textContent = okLabel;
    dialog.hidden = false;
    $("confirm-cancel").focus();
    const finish = (answer) => {
      dialog.hidden = true;
      $("confirm-ok").onclick = $("confirm-cancel").onclick = null;
      resolve(answer);
    };
    $("confirm-ok").onclick = () => finish(true);
    $("confirm-cancel").onclick = () => finish(false);
  });
}

const SCREENS = ["message-screen", "sell-screen", "payment-screen", "receipt-screen", "orders-screen",
  "close-screen"];

export function showScreen(name) {
  state.screen = name;
  for (const id of SCREENS) $(id).hidden = id !== `${name}-screen`;
  document.body.dataset.screen = name;
}

/** A full-page message instead of the till, with optional actions ({label, href|onClick}). */
export function showMessage(title, text, actions = []) {
  $("message-title").textContent = title;
  const paragraph = $("message-text");
  paragraph.replaceChildren();
  // `code` spans: text between backquotes.
  text.split(/(`[^`]+`)/).forEach((part) => {
    paragraph.append(part.startsWith("`") && part.endsWith("`") && part.length > 1
      ? element("code", {}, part.slice(1, -1)) : part);
  });
  const box = $("message-actions");
  box.replaceChildren(...actions.map((action) => {
    if (action.href) return element("a", { className: "button primary big", href: action.href }, action.label);
    const button = element("button", { type: "button", className: `${action.secondary ? "secondary" : "primary"} big` },
                           action.label);
    button.addEventListener("click", action.onClick);
    return button;
  }));
  showScreen("message");
}

export function showBanner(content) {
  const banner = $("banner");
  if (!content) {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  banner.replaceChildren(...content);
  banner.hidden = false;
}

/** A strip that scrolls sideways (order tabs, categories) says where more is hidden:
 * data-more = "start", "end", "both" or absent; the stylesheet fades that side. */
export function watchOverflow(node) {
  const update = () => {
    const more = node.scrollWidth - node.clientWidth > 1;
    const atStart = node.scrollLeft <= 1;
    const atEnd = node.scrollLeft + node.clientWidth >= node.scrollWidth - 1;
    const side = !more ? "" : atStart ? "end" : atEnd ? "start" : "both";
    if (side) node.dataset.more = side;
    else delete node.dataset.more;
  };
  node.addEventListener("scroll", update, { passive: true });
  if (window.ResizeObserver) new ResizeObserver(update).observe(node);
  new MutationObserver(() => requestAnimationFrame(update)).observe(node, { childList: true, subtree: true });
  update();
}
