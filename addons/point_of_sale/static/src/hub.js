// The page's event hub: every module emits through it; window.comptoirPos (pos.js) forwards
// addEventListener / removeEventListener to it. A listener that throws is logged and the others
// still run. The events (CustomEvent, payload in `event.detail`; docs/pos_page.md):
//   "pos:loaded"         the data ({config, session, products, partners, ...extend_pos_data
//                        keys}) once selling can start (also when loaded from the offline cache)
//   "pos:order-changed"  the open order that changed (`deleted: true`, `state: "paid"`,
//                        `remote: true` when it came from elsewhere)
//   "pos:order-paid"     {order, entry}: the wire order and its outbox entry, right after payment
//   "pos:before-push"    {orders}: the wire orders about to be POSTed; listeners may add fields
//   "pos:pushed"         {results}: the server's answer to a push
//   "pos:session-closed" {report}: this page closed its session (close.js)
//   "pos:sync"           {status, pending, rejected}: the push's state
//   "pos:status"         {level, text, title, channels}: the page's one status (status.js)
//   "pos:server"         {reachable, reason}: a call to this server got through or not (http.js)

export const hub = new EventTarget();

export function emit(name, detail) {
  try {
    hub.dispatchEvent(new CustomEvent(name, { detail }));
  } catch (error) {
    console.error(`comptoirPos: a "${name}" listener failed`, error);
  }
}

let resolveReady;
/** Resolved with the data when selling can start ("pos:loaded"), for modules that come late. */
export const ready = new Promise((resolve) => { resolveReady = resolve; });

export function loaded(data) {
  emit("pos:loaded", data);
  resolveReady(data);
}
