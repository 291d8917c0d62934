// The page's one mutable state and its settings. Modules read and write `state`; nothing else
// keeps page-wide data.

export const body = document.body;
export const root = body.dataset.root || "";
export const configId = Number(body.dataset.configId);
const query = new URLSearchParams(location.search);

/** A positive number from ?queryName= (wins) or <body data-attribute>, else `fallback`. */
export function setting(queryName, attribute, fallback) {
  for (const raw of [query.get(queryName), body.dataset[attribute]]) {
    const value = Number(raw);
    if (raw !== null && raw !== undefined && raw !== "" && Number.isFinite(value) && value > 0) {
      return value;
    }
  }
  return fallback;
}

export const state = {
  store: null,
  sync: null,
  data: null,
  source: null, // "server" | "cache"
  cachedAt: null,
  serverBack: false,
  loginNumber: 0,
  canSell: false,
  orders: [], // open orders, oldest first
  currentUuid: null,
  selectedLineId: null,
  search: "",
  category: null,
  screen: "message",
  receiptEntry: null,
  closedHere: false, // this page closed the session (close.js)
  closingHere: false, // its closing request is under way
  blockedWhileClosing: null, // a block asked for meanwhile, shown if the closing failed
  attention: [],
};

export function currentOrder() {
  return state.orders.find((order) => order.uuid === state.currentUuid) || null;
}

export function loginUrl() {
  return `${root}/web/login?next=${encodeURIComponent(location.pathname + location.search)}`;
}
