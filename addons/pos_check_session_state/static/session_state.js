/**
 * pos_check_session_state on the POS page: once loaded, then every `check_session_frequency` seconds (the POS
 * config's field; 0 = never), ask the server whether this till's session is still opened.
 *
 *  - It answers with a state other than "opened": block the till (comptoirPos.blockUi, whose
 *    only action is Reload) naming the session and its real state, and stop checking.
 *  - The request fails (no network, server down, 5xx, timeout) or the staff is signed out
 *    (401): that is not a closed session. Keep selling, keep checking; the page's own sync
 *    indicator already says offline / signed out.
 *
 * With pos_longpolling installed, closing a session also tells its tills on the bus (channel
 * "pos.session_state", sent once the closing committed): they block within a second or two.
 *
 * document.body.dataset.sessionCheck tells what the last check saw: "opened", "blocked",
 * "unreachable", "signed-out", "error" (tests and curious staff read it).
 */
const pos = window.comptoirPos;
const body = document.body;
const root = body.dataset.root || "";
// The page's translations (point_of_sale's i18n.js); English where the page has none.
const _t = (text, values) => (pos._t ? pos._t(text, values) : text);
const stateWords = () => ({
  opening_control: _t("not opened yet (opening control)"),
  closing_control: _t("being closed (closing control)"),
  closed: _t("closed"),
});
const MAX_WAIT_MS = 10000;
const BUS_CHANNEL = "pos.session_state";

let timer = null;
let stopped = false;
let checkNow = null; // start(): check at once (the server answers again)

// What each outcome adds to the page's one status (comptoirPos.status).
// A check that could not reach the server is not news: the status says "offline" already
// (this channel goes through the same server), and the check runs again as soon as the server
// answers, so that the till is never red while all is well.
const STATUS = {
  opened: ["ok", ""],
  blocked: ["down", "session closed"],
  unreachable: ["waiting", "checking the session"],
  "signed-out": ["down", "signed out"],
  error: ["waiting", "session check failed"],
};
// STATUS's words, said (for `make i18n`: literal strings).
const statusWords = () => ({ "session closed": _t("session closed"),
  "checking the session": _t("checking the session"), "signed out": _t("signed out"),
  "session check failed": _t("session check failed") });

function report(status) {
  body.dataset.sessionCheck = status;
  body.dataset.sessionChecks = String(Number(body.dataset.sessionChecks || 0) + 1);
  const [level, text] = STATUS[status];
  pos.status?.report("session", { level, text: statusWords()[text] || text,
    title: level === "ok" ? "" : _t("Session check: {status}", { status: statusWords()[text] || status }) });
}

function block(session, answer) {
  stopped = true;
  clearTimeout(timer);
  const name = answer.name || session.name || `#${session.id}`;
  const words = stateWords()[answer.state] || answer.state;
  pos.blockUi(_t("Session {name} is {state}. This till cannot sell on it any more: reload the page once a session is opened. Orders already paid are kept and sent, or listed under Needs attention.",
                 { name, state: words }));
  report("blocked");
}

async function check(session, waitMs) {
  try {
    const response = await pos.http.fetch(
      `${root}/pos_check_session_state/state/${encodeURIComponent(session.id)}`,
      { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } },
      waitMs);
    if (response.status === 401) return report("signed-out");
    // 502/503/504: a proxy says the server is not there. Another error is the server's own.
    if (!response.ok) return report([502, 503, 504].includes(response.status) ? "unreachable" : "error");
    const answer = await response.json();
    if (answer && typeof answer.state === "string" && answer.state !== "opened") {
      block(session, answer);
    } else {
      report("opened");
    }
  } catch (error) {
    report("unreachable"); // offline, server down, no answer in time: keep selling
  }
}

function start(data) {
  const seconds = Number(data && data.config && data.config.check_session_frequency);
  const session = data && data.session;
  if (!session || !Number.isFinite(seconds) || seconds <= 0) return;
  const periodMs = Math.round(seconds * 1000);
  const waitMs = Math.min(MAX_WAIT_MS, Math.max(periodMs, 1000));
  let checking = false;
  const loop = async () => {
    clearTimeout(timer);
    if (stopped || checking) return;
    checking = true;
    try {
      await check(session, waitMs);
    } finally {
      checking = false;
    }
    if (!stopped) timer = setTimeout(loop, periodMs);
  };
  checkNow = loop;
  loop(); // once at once (a cached start may be on a session closed since), then every period
}

// The server answers again after a check could not reach it: check now, not a period later.
// Once per outage: should that check fail too, the usual period.
let checkedAtReturn = false;
pos?.addEventListener("pos:server", (event) => {
  if (body.dataset.sessionCheck === "opened") checkedAtReturn = false;
  if (event.detail.reachable && body.dataset.sessionCheck === "unreachable" && checkNow
      && !checkedAtReturn) {
    checkedAtReturn = true;
    setTimeout(checkNow, 0);
  }
});

/** With pos_longpolling: the server says on the bus when the session closes (announce.py), so
 * the till blocks within a second or two; the periodic check stays as the fallback. */
function listenOnTheBus(data) {
  const session = data && data.session;
  if (!session) return;
  const onMessage = (message) => {
    if (stopped || !message || message.session_id !== session.id) return;
    if (typeof message.state === "string" && message.state !== "opened") block(session, message);
  };
  const subscribe = (bus) => {
    bus.subscribe(BUS_CHANNEL, onMessage);
    body.dataset.sessionBus = "listening";
  };
  const main = pos.longpolling && pos.longpolling.bus;
  if (main) return subscribe(main);
  // longpolling.js makes its bus on "pos:loaded" too, maybe after this module's listener ran.
  const onState = (event) => {
    const bus = pos.longpolling && pos.longpolling.bus;
    if (!bus || event.detail.bus !== bus) return;
    pos.removeEventListener("longpolling:state", onState);
    subscribe(bus);
  };
  pos.addEventListener("longpolling:state", onState);
}

if (pos) {
  let started = false;
  const once = (data) => {
    if (!started) { started = true; start(data); listenOnTheBus(data); }
  };
  pos.addEventListener("pos:loaded", (event) => once(event.detail));
  if (pos.ready) pos.ready.then(once);
}
