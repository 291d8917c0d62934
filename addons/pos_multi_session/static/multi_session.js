/**
 * pos_multi_session on the POS page: the open orders of the tills of one multi-session are
 * shared live through the sync server (POST {sync server}/pos_multi_session_sync/update, then
 * the bus channel "pos.multi_session").
 *
 * Sending: every local change of an order queues one update_order (a serial queue, at most one
 * pending update per order) carrying the whole order and the server revision this till last
 * saw of it; the server merges line by line, so two tills editing different lines both keep
 * their change. A paid or deleted order is a remove_order, kept in localStorage until the
 * server has it, so that an order paid offline is reported first when the server is back.
 *
 * Receiving: every bus message has this till's next message_ID; an older one is ignored, a gap
 * asks for sync_all. A server copy is merged into the local order against the copy this till
 * last synced: local changes not sent yet stay, and are sent next.
 *
 * Offline (sync server unreachable or wrong URL): the till keeps selling, says so in the
 * header chip, and retries after 5 s + random 1–10 s, as the original module did.
 *
 * Settings (query parameters, for tests): ?ms_retry_ms= (5000), ?ms_jitter_ms= (10000).
 * document.body.dataset.multiSession: "connecting" (until the first sync_all answers),
 * "online", "offline" or "refused" (tests read it).
 */
const pos = window.comptoirPos;
// The page's translations (point_of_sale's i18n.js); English where the page has none. N_
// marks a text for `make i18n` that is translated where it is shown.
const N_ = (text) => text;
const _t = (text, values) => (pos._t ? pos._t(text, values)
  : text.replace(/\{(\w+)\}/g, (match, key) => (values && key in values ? String(values[key]) : match)));
const shownRef = (reference) => (pos._t ? String(reference).replace(/^Order /, `${_t("Order")} `) : reference);
const body = document.body;
const root = body.dataset.root || "";
const query = new URLSearchParams(location.search);

const CHANNEL = "pos.multi_session";
const REQUEST_TIMEOUT_MS = 30000;
const number = (name, fallback) => {
  const value = Number(query.get(name));
  return query.get(name) !== null && Number.isFinite(value) && value >= 0 ? value : fallback;
};
const RETRY_MS = number("ms_retry_ms", 5000);
const JITTER_MS = number("ms_jitter_ms", 10000);

class Unreachable extends Error {}
class Refused extends Error {}

let ms = null; // data.multi_session
let config = null;
let session = null; // {id, login_number}: this till's, to tell its own echoes
let storageKey = "";
let synced = {}; // uuid -> {revision, order (the server's copy, sync shape)}
let removals = []; // remove_order data waiting for the server, oldest first
let lastMessageId = 0;
let online = true;
let offlineSaid = false; // the toast is shown once per outage, the chip says it all along
let retryTimer = null;
let triedAtReturn = false; // reconnected at once when this server answered again (once per outage)
let chain = Promise.resolve();
const queued = new Set();

// -- persistence: what this till knows of the server survives a reload ---------------------

function save() {
  try {
    localStorage.setItem(storageKey, JSON.stringify({ synced, removals, lastMessageId }));
  } catch (error) { /* storage full or disabled: only a reload loses the bookkeeping */ }
}

function restore() {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey) || "null");
    if (saved) ({ synced = {}, removals = [], lastMessageId = 0 } = saved);
  } catch (error) { /* a broken entry: start afresh, sync_all rebuilds it */ }
}

// -- the two shapes of an order ------------------------------------------------------------

const me = () => ({ user: ms.user, pos: { id: config.id, name: config.name } });

/** An order as the sync server sends it (lines as Odoo's [0, 0, {...}] triples, the
 * original's shape) with its lines as objects. */
function unwire(order) {
  return { ...order, lines: (order.lines || []).map((line) => (Array.isArray(line) ? line[2] : line)) };
}

/** The order as the sync server takes it. Each line carries who last changed it (`ms_info`,
 * as the original's lines do): a line that differs from the last synced copy is this till's. */
function toSync(order) {
  const known = synced[order.uuid];
  const before = new Map((known ? known.order.lines : []).map((line) => [line.uid, line]));
  return {
    uid: order.uuid,
    name: order.reference,
    sequence_number: order.sequence_number,
    partner_id: order.partner_id ?? null,
    creation_date: order.opened_at,
    ms_info: order.ms_info || { created: me(), changed: me() },
    lines: order.lines.map((line) => {
      const sent = {
        uid: line.ms_uid || `${order.uuid}-${line.id}`, product_id: line.product_id,
        name: line.name, qty: line.qty, price_unit: line.price_unit, discount: line.discount,
        tax_rate: line.tax_rate,
      };
      const previous = before.get(sent.uid);
      // Unchanged: the server's line as it is (an original till's keys, e.g. tax_ids, too).
      if (previous && content(previous) === content(sent)) return previous;
      return { ...previous, ...sent,
               ms_info: { created: line.ms_info?.created || me(), changed: me() } };
    }),
  };
}

/** An order's number is the one its till gave it (unique per till and session, from 1 each
 * session): the last part of its reference, e.g. 2 for "Order 00004-001-0002". The sync
 * server's run-wide number (`sequence_number` in its copies) is not shown: it made a
 * session's first order #0003 and moved every till's numbering. */
function tillNumber(name, fallback) {
  const match = typeof name === "string" ? /-(\d+)$/.exec(name) : null;
  return match ? Number(match[1]) : fallback;
}

function fromSync(data) {
  const products = new Map((pos.currentData()?.products || []).map((p) => [p.id, p]));
  const creator = data.ms_info?.created?.pos;
  return {
    uuid: data.uid,
    reference: data.name,
    sequence_number: tillNumber(data.name, data.sequence_number),
    // Started on another till: its tab says which ("Bar #0002"), its number being Bar's.
    origin: creator && creator.id !== config.id ? creator.name || tillName(creator.id) : null,
    partner_id: data.partner_id || null,
    opened_at: data.creation_date,
    lines: (data.lines || []).map((line) => {
      const product = products.get(line.product_id) || {};
      // An original till's line uid need not start with the order's uid: kept whole.
      const own = line.uid.startsWith(`${data.uid}-`);
      return {
        id: own ? line.uid.slice(data.uid.length + 1) : line.uid, ms_uid: line.uid,
        product_id: line.product_id, name: line.name ?? product.name,
        qty: String(line.qty), price_unit: String(line.price_unit ?? product.price),
        discount: line.discount ?? 0, tax_rate: line.tax_rate ?? product.tax_rate,
        ms_info: line.ms_info || {},
      };
    }),
  };
}

function byline(info) {
  if (!info || !info.created) return "";
  const who = (entry) => `${entry.pos.name} (${entry.user.name})`;
  const changed = info.changed && who(info.changed) !== who(info.created)
    ? _t(" · last change on {till}", { till: who(info.changed) }) : "";
  return _t("Started on {till}", { till: who(info.created) }) + changed;
}

// -- merging a server copy into the local order ---------------------------------------------

const content = (line) => JSON.stringify([line.product_id, line.name, String(line.qty),
  String(line.price_unit), String(line.discount), String(line.tax_rate)]);

/**
 * The local order after taking in `theirs` (the server's copy), given `base` (the server copy
 * this till last synced, or null): what this till changed since `base` and has not sent yet
 * stays; everything else comes from the server.
 */
function mergeIntoLocal(base, theirs, mine) {
  if (!mine) return theirs;
  const index = (order) => new Map((order ? order.lines : []).map((l) => [l.uid, l]));
  const [baseLines, theirLines, myLines] = [index(base), index(theirs), index(mine)];
  const changedHere = (uid) => !baseLines.has(uid)
    || content(baseLines.get(uid)) !== content(myLines.get(uid));
  const lines = [];
  for (const [uid, line] of theirLines) {
    if (myLines.has(uid)) lines.push(changedHere(uid) ? myLines.get(uid) : line);
    else if (!baseLines.has(uid)) lines.push(line); // added elsewhere; else removed here
  }
  for (const [uid, line] of myLines) {
    // Only here: added here (not sent yet), or removed elsewhere but changed here since.
    if (!theirLines.has(uid) && changedHere(uid)) lines.push(line);
  }
  const partnerChangedHere = base && (mine.partner_id || null) !== (base.partner_id || null);
  return { ...theirs, partner_id: partnerChangedHere ? mine.partner_id : theirs.partner_id, lines };
}

const sameOrder = (a, b) => JSON.stringify([a.partner_id || null, a.lines.map(content),
  a.lines.map((l) => l.uid)]) === JSON.stringify([b.partner_id || null, b.lines.map(content),
  b.lines.map((l) => l.uid)]);

/** Take a server copy (a reply or a broadcast) of an order; returns whether local changes
 * remain to be sent. */
function takeServerCopy(theirs, { incoming = false, base, conflicted = false } = {}) {
  const known = synced[theirs.uid];
  // Seen already (an echo), unless a conflict lost this till's change: the kept version is
  // then taken even if a broadcast of that revision was merged under the lost change.
  if (known && (theirs.revision_ID < known.revision
                || (theirs.revision_ID === known.revision && !conflicted))) return false;
  const local = pos.openOrders().find((order) => order.uuid === theirs.uid);
  if (!local && incoming && !config.multi_session_accept_incoming_orders) return false;
  if (!local && known) return false; // paid or deleted here: its removal is on its way
  // An empty order this till does not hold is nothing to act on (and, left by an older
  // session, a leftover tab): it comes with its first line.
  if (!local && !(theirs.lines || []).length) return false;
  const mine = local ? toSync(local) : null;
  const merged = mergeIntoLocal(base !== undefined ? base : known ? known.order : null,
                                theirs, mine);
  synced[theirs.uid] = { revision: theirs.revision_ID, order: theirs };
  save();
  learnTillNames(theirs);
  // First time this till sees the order with lines (it may have come empty before).
  const firstLines = incoming && theirs.lines.length && (!local || !local.lines.length);
  pos.applyOrder({ ...fromSync(merged), byline: byline(theirs.ms_info) });
  pos.patchOrder(theirs.uid, { ms_info: theirs.ms_info });
  if (firstLines && !loading) replaceEmptyOrder(theirs);
  return !sameOrder(merged, theirs);
}

// -- the order on screen --------------------------------------------------------------------
//
// The cashier's order never changes under them by surprise. After the order on screen ends
// elsewhere, the till shows its own newest order, or a new empty one; a page opens on its own
// order. "Replace an empty order" follows the original (pos_multi_session.js,
// ms_on_add_order): only this till's untouched first order (the page's, or the one opened
// after a payment) is replaced, by an order of another till that has lines; an incoming empty
// order never takes the screen (the original never sends an empty order). Every change of the
// order on screen that the cashier did not ask for is said in a toast naming the till.

let loading = true; // until the first sync_all is applied: nothing takes the screen
let replaceable = null; // uuid of this till's untouched first order
let afterPayment = false;
const tillNames = new Map(); // POS config id -> name, from the ms_info of the orders seen

function learnTillNames(order) {
  for (const who of [order.ms_info?.created, order.ms_info?.changed]) {
    if (who && who.pos) tillNames.set(who.pos.id, who.pos.name);
  }
}

const tillName = (posId) => (posId === config.id ? config.name
  : tillNames.get(posId) || _t("another till"));

const isOwn = (order) => !order.ms_info?.created || order.ms_info.created.pos.id === config.id;

const current = () => pos.currentOrder();

/** Put this till's newest open order (other than `except`) on screen, or a new empty one. */
async function showOwnOrder(except = null) {
  const own = pos.openOrders().filter((order) => order.uuid !== except && isOwn(order));
  if (own.length) pos.selectOrder(own[own.length - 1].uuid);
  else await pos.newOrder();
  return current();
}

/** Remove an order that ended on another till; `why` completes "<reference> ...". */
async function dropShared(uuid, why) {
  const order = pos.openOrders().find((o) => o.uuid === uuid);
  delete synced[uuid];
  save();
  if (!order) return;
  const wasShown = current()?.uuid === uuid;
  const showing = wasShown ? await showOwnOrder(uuid) : null;
  await pos.dropOrder(uuid);
  // Information, not a failure: a warning when the screen changed under the cashier.
  pos.notify(wasShown
    ? _t("{reference}, the order on screen, {why}. Now showing {shown} of {till}.", {
      reference: shownRef(order.reference), why, shown: shownRef(showing.reference), till: config.name })
    : _t("{reference} {why}.", { reference: shownRef(order.reference), why }), wasShown ? "warning" : "info");
}

function replaceEmptyOrder(theirs) {
  const shown = current();
  if (!config.multi_session_replace_empty_order || !shown || shown.uuid !== replaceable
      || shown.lines.length || shown.uuid === theirs.uid) return;
  replaceable = null;
  pos.selectOrder(theirs.uid);
  pos.dropOrder(shown.uuid).then(() => queueRemoval(shown, { paid: false }));
  const from = tillName(theirs.ms_info?.created?.pos?.id);
  pos.notify(_t("{reference} from {till} replaced this till's empty order on screen (Replace an empty order is on).",
                { reference: shownRef(current().reference), till: from }));
}

/** At start: the page shows one of this till's own orders. */
async function openOnOwnOrder() {
  const shown = current();
  if (!shown || !isOwn(shown)) await showOwnOrder();
  const first = current();
  if (first && !first.lines.length && isOwn(first)) replaceable = first.uuid;
}

// -- talking to the sync server -------------------------------------------------------------

function nonce() {
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

async function call(action, data) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (ms.token) headers.Authorization = `Bearer ${ms.token}`;
  let response;
  try {
    response = await pos.http.fetch(`${ms.sync_server || root}/pos_multi_session_sync/update`, {
      method: "POST", headers, cache: "no-store",
      credentials: ms.sync_server ? "omit" : "same-origin",
      body: JSON.stringify({
        multi_session_id: ms.id, dbname: ms.db_name, user_ID: ms.user.id,
        message: { action, data: { ...data, pos_id: config.id, run_ID: ms.run_ID, nonce: nonce() },
                   session_id: session.id, login_number: session.login_number },
      }),
    }, REQUEST_TIMEOUT_MS);
  } catch (error) {
    throw new Unreachable(error.timedOut ? N_("no answer within 30 s") : N_("no connection"));
  }
  let answer = null;
  try { answer = await response.json(); } catch (error) { /* not JSON: a proxy's error page */ }
  if (response.status >= 500 || answer === null) {
    throw new Unreachable(`the server answered ${response.status}`);
  }
  if (!response.ok) {
    throw new Refused(answer.error ? answer.error.message : `HTTP ${response.status}`);
  }
  if (body.dataset.multiSession === "refused") {
    render("online", _t("Orders shared with the other tills of {name}.", { name: ms.name })); // refused once, fine now
  }
  if (answer.action === "outdated_run") {
    pos.blockUi(_t("Sharing orders with the tills of {name} stopped: every session of {name} was closed, this till's included. Orders left unpaid are kept for a manager (Unpaid shared orders). Reload this page once a session is open.",
                   { name: ms.name }));
    throw new Refused("outdated run");
  }
  return answer;
}

function enqueue(task) {
  chain = chain.then(task).catch((error) => failed(error));
  return chain;
}

function failed(error) {
  if (error instanceof Unreachable) {
    goOffline(error.message);
  } else {
    body.dataset.multiSession = "refused";
    pos.notify(_t("Shared orders: the sync server refused this till's change ({error})", { error: error.message }),
               "error");
    console.error(error);
  }
}

// -- sending --------------------------------------------------------------------------------

function scheduleUpdate(uuid) {
  if (queued.has(uuid)) return;
  queued.add(uuid);
  enqueue(async () => {
    queued.delete(uuid); // from here on, a new change queues another update
    if (online) await sendUpdate(uuid);
  });
}

async function sendUpdate(uuid) {
  const order = pos.openOrders().find((o) => o.uuid === uuid);
  if (!order) return;
  const known = synced[uuid];
  if (!known && !order.lines.length && config.multi_session_deactivate_empty_order) return;
  const sent = toSync(order);
  const reply = await call("update_order", {
    ...sent, revision_ID: known ? known.revision : 1, new_order: !known,
  });
  if (reply.action === "update_revision_ID") {
    if (reply.conflicts && reply.conflicts.length) conflictToast(order, reply);
    // Merged against what was sent: changes made while the request was out stay, and go next.
    // (A later copy that came over the bus meanwhile makes this one stale: skipped.)
    const theirs = { ...unwire(reply.order), revision_ID: reply.revision_ID };
    const conflicted = Boolean(reply.conflicts && reply.conflicts.length);
    if (takeServerCopy(theirs, { base: sent, conflicted })) scheduleUpdate(uuid);
  } else if (reply.action === "revision_error") {
    if (reply.state === "deleted") {
      await dropShared(uuid, _t("was paid or deleted on another till"));
    } else {
      enqueue(() => syncAll({ uid: uuid }));
    }
  } else if (reply.action === "" && reply.revision_ID && known) {
    known.revision = Math.max(known.revision, reply.revision_ID); // a re-send already applied
    save();
  }
}

/** Whose change of each conflicting line was kept, by name (the kept line's ms_info). */
function conflictToast(order, reply) {
  const kept = new Map(unwire(reply.order).lines.map((line) => [line.uid, line]));
  const names = new Set(reply.conflicts.map((uid) => {
    const who = uid === "header" ? reply.order.ms_info?.changed?.pos
      : kept.get(uid)?.ms_info?.changed?.pos;
    if (!who) return _t("another till");
    return who.id === config.id ? config.name : who.name || tillName(who.id);
  }));
  const and = _t(" and ");
  const whose = [...names].join(and);
  pos.notify(names.has(config.name) && names.size === 1
    ? _t("{reference}: this till changed the same line twice at once; its earlier change was kept, the later one was not. Change it again if needed.",
         { reference: shownRef(order.reference) })
    : _t("{reference}: {whose} changed the same line at the same time; {whose}'s change was kept, this till's ({till}) was not.",
         { reference: shownRef(order.reference), whose, till: config.name }), "warning");
}

function queueRemoval(order, { paid }) {
  const known = synced[order.uuid];
  if (!known && !paid) return; // never shared: nothing to remove
  removals.push({ uid: order.uuid, revision_ID: known ? known.revision : 1, finalized: paid,
                  pos_name: config.name,
                  ...(paid && !known ? { order_data: { ...toSync(order), revision_ID: 1 } } : {}) });
  save();
  if (online) enqueue(sendRemovals);
}

async function sendRemovals() {
  while (removals.length) {
    const removal = removals[0];
    let reply;
    try {
      reply = await call("remove_order", removal);
    } catch (error) {
      if (!(error instanceof Refused)) throw error; // unreachable: kept, sent on reconnect
      // Refused for good (the paid order itself reached the main instance through the
      // outbox): say so and go on, rather than hold every later change back.
      failed(error);
      reply = {};
    }
    if (reply.action === "revision_error" && reply.state !== "deleted") {
      // Changed elsewhere since this till saw it: the order stays, with those changes.
      enqueue(() => syncAll({ uid: removal.uid }));
    }
    removals.shift();
    delete synced[removal.uid];
    save();
  }
}

// -- receiving ------------------------------------------------------------------------------

function onMessage(message) {
  const data = message && message.data;
  if (!data || typeof data.message_ID !== "number") return;
  if (data.message_ID <= lastMessageId) return; // older than what this till has
  if (data.message_ID > lastMessageId + 1) { // a gap: something was missed
    enqueue(() => syncAll());
    return;
  }
  lastMessageId = data.message_ID;
  save();
  const own = message.session_id === session.id && message.login_number === session.login_number;
  if (message.action === "update_order" && !own) {
    if (takeServerCopy(unwire(data), { incoming: true })) scheduleUpdate(data.uid);
  } else if (message.action === "remove_order" && !own) {
    const where = data.pos_name || tillName(data.pos_id);
    dropShared(data.uid, data.finalized ? _t("was paid on {till}", { till: where })
      : _t("was deleted on {till}", { till: where }));
  } else if (message.action === "sync_all") {
    applySyncAll(data);
  }
}

async function syncAll({ uid = null } = {}) {
  const reply = await call("sync_all", { immediate_rerendering: true,
                                         login_number: session.login_number,
                                         ...(uid ? { uid } : {}) });
  applySyncAll(reply.data);
}

function applySyncAll(data) {
  if (typeof data.message_ID === "number") lastMessageId = Math.max(lastMessageId, data.message_ID);
  // Each order is the stored message {action, data}, as the original client reads it.
  const orders = data.orders.map((entry) => unwire(entry.data || entry));
  const onServer = new Set(orders.map((order) => order.uid));
  for (const order of orders) {
    if (takeServerCopy(order, { incoming: true })) scheduleUpdate(order.uid);
  }
  if (!data.uid) {
    for (const order of pos.openOrders()) {
      const known = synced[order.uuid];
      if (known && !onServer.has(order.uuid)) {
        dropShared(order.uuid, _t("was paid or removed on another till"));
      } else if (known ? !sameOrder(toSync(order), known.order) : order.lines.length) {
        scheduleUpdate(order.uuid); // changed or made here while offline: share it now
      }
    }
  }
  save();
}

// -- online / offline -----------------------------------------------------------------------

const chip = document.createElement("span");
chip.className = "ms-chip";
chip.setAttribute("role", "status");

function render(state, title) {
  body.dataset.multiSession = state;
  chip.dataset.state = state;
  chip.textContent = { online: _t("Shared"), connecting: _t("Shared · connecting") }[state]
    || _t("Shared · offline");
  chip.title = title;
  const [level, words] = { online: ["ok", ""], connecting: ["waiting", _t("shared orders connecting")],
                           refused: ["down", _t("shared orders refused")] }[state]
    || ["down", _t("shared orders offline")];
  pos.status?.report("shared", { level, text: words, title, sameServer: !ms.sync_server });
}

function goOffline(reason) {
  // Orders shared through this page's own server: its status says "offline" already, and
  // nothing more is worth a message. Through a separate sync server: say it once, plainly.
  if (!offlineSaid && ms.sync_server) {
    offlineSaid = true;
    pos.notify(_t("Orders are not shared with the other tills for now: the sync server {server} does not answer. This till keeps selling and shares its orders when it answers again.",
                  { server: ms.sync_server }), "warning");
  }
  online = false;
  const where = ms.sync_server ? _t("the sync server {server}", { server: ms.sync_server })
    : _t("this server");
  const why = _t(reason);
  render("offline", _t("Orders are not shared for now: {where} does not answer ({reason}). Retrying.",
                       { where, reason: why }));
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => { retryTimer = null; reconnect(); }, RETRY_MS + Math.random() * JITTER_MS);
}

function reconnect() {
  // Paid-offline orders first, then the full sync, then what changed here meanwhile.
  enqueue(async () => {
    await sendRemovals();
    await syncAll();
    if (loading) {
      loading = false;
      await openOnOwnOrder();
    }
    online = true;
    offlineSaid = false;
    triedAtReturn = false;
    render("online", _t("Orders shared with the other tills of {name}.", { name: ms.name }));
  });
}

// -- start ----------------------------------------------------------------------------------

function start(data) {
  ms = data.multi_session;
  if (!ms || !data.session) return;
  config = data.config;
  session = { id: data.session.id, login_number: pos.loginNumber() };
  storageKey = `comptoir-ms:${ms.sync_server || "local"}:${ms.db_name}:${ms.id}:${config.id}:${ms.run_ID}`;
  restore();
  document.getElementById("sync-indicator")?.before(chip);
  const server = ms.sync_server || _t("(this server)");
  render("connecting", _t("Connecting to the sync server {server}…", { server }));

  const lp = pos.longpolling;
  const bus = ms.sync_server ? lp.addBus(ms.sync_server, { token: ms.token, label: "Sync server" })
    : lp.bus;
  bus.subscribe(CHANNEL, onMessage);
  bus.start();

  pos.addEventListener("pos:order-changed", (event) => {
    const order = event.detail;
    if (order.remote) return;
    if (order.uuid === replaceable && (order.deleted || order.lines.length)) replaceable = null;
    if (order.deleted) queueRemoval(order, { paid: false });
    else if (order.state === "paid") {
      afterPayment = true; // the next order is the cashier's untouched first one again
      queueRemoval(order, { paid: true });
    } else {
      if (afterPayment && !order.lines.length && !synced[order.uuid] && !order.ms_info) {
        afterPayment = false;
        replaceable = order.uuid;
      }
      const info = { created: (order.ms_info && order.ms_info.created) || me(), changed: me() };
      pos.patchOrder(order.uuid, { ms_info: info, byline: byline(info) });
      scheduleUpdate(order.uuid);
    }
  });
  online = false; // until the first sync_all answers
  reconnect();
  // Shared through this page's own server: once it answers again, share again at once rather
  // than after the retry delay (the status would stay red while all is well).
  // Once per outage: should that try fail too (the sync route itself fails), the usual delay.
  if (!ms.sync_server) {
    pos.addEventListener("pos:server", (event) => {
      if (event.detail.reachable && !online && retryTimer !== null && !triedAtReturn) {
        triedAtReturn = true;
        clearTimeout(retryTimer);
        retryTimer = null;
        reconnect();
      }
    });
  }
}

if (pos) {
  let started = false;
  const once = (data) => { if (!started) { started = true; start(data); } };
  pos.addEventListener("pos:loaded", (event) => once(event.detail));
  if (pos.ready) pos.ready.then(once);
}
