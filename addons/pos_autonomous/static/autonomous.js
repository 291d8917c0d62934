/**
 * pos_autonomous on the POS page: the till's synchroniser in the page's one status (channel
 * "central", comptoirPos.status), so that the header never says "synced" while the central
 * server is unreachable or refuses this till's tickets. The page sells either way: its server
 * is this till's own instance. It reads GET {root}/pos_autonomous/status every 15 s
 * (?autonomous_status_ms= for tests) and reports nothing on a central instance.
 * document.body.dataset.autonomousState mirrors the state (tests read it); the details are in
 * the status' title and its detail dialog (a tap on the status), and in the hidden element
 * #pos-autonomous-state.
 */
const autonomousRoot = document.body.dataset.root || "";
const autonomousQuery = new URLSearchParams(location.search);
const AUTONOMOUS_PERIOD_MS = Number(autonomousQuery.get("autonomous_status_ms")) || 15000;
const AUTONOMOUS_WORDS = {
  ok: "synchronised", importing: "importing", error: "central server unreachable — selling on",
  never: "not synchronised yet",
};

function autonomousIndicator() {
  let chip = document.getElementById("pos-autonomous-state");
  if (!chip) {
    chip = document.createElement("span");
    chip.id = "pos-autonomous-state";
    chip.hidden = true; // the page's one status says it
    document.body.appendChild(chip);
  }
  return chip;
}

/** {level, text, title} of the "central" channel from the till's state, in the till's language. */
function centralStatus(state, waiting) {
  const pos = window.comptoirPos;
  const _t = (text, values) => (pos && pos._t ? pos._t(text, values)
    : text.replace(/\{(\w+)\}/g, (match, key) => (values && key in values ? String(values[key]) : match)));
  const up = state.up || {};
  const never = _t("never");
  const none = _t("none");
  const details = [state.last_error || _t("last synchronised {when}", { when: state.last_success_at || never }),
    up.last_refusal ? _t("refused: {why}", { why: up.last_refusal }) : "",
    _t("last ticket the central server acknowledged: {ticket}", { ticket: up.last_acknowledged || none }),
    up.customers_held ? _t("customer changes held: {count}", { count: up.customers_held }) : ""]
    .filter(Boolean).join("\n");
  const title = _t("Central server {server}: {details}", { server: state.server_url || "", details });
  if (up.last_refusal) return { level: "down", text: _t("central server refuses tickets"), title };
  if (state.state === "error") return { level: "down", text: _t("central server unreachable"), title };
  if (state.state === "never") return { level: "waiting", text: _t("not synchronised yet"), title };
  if (state.state === "importing") {
    return { level: "waiting", text: _t("importing from the central server"), title };
  }
  if (waiting) {
    return { level: "waiting", text: _t("{count} waiting for the central server", { count: waiting }), title };
  }
  return { level: "ok", text: "", title: "" };
}

async function refreshAutonomousState() {
  try {
    // a shop serves several configs: this page's own config's tickets going up
    const config = (window.location.pathname.match(/\/pos\/ui\/(\d+)/) || [])[1];
    const response = await fetch(`${autonomousRoot}/pos_autonomous/status${config ? `?config=${config}` : ""}`,
      { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return;
    const state = await response.json();
    if (state.role !== "till") return;
    const chip = autonomousIndicator();
    document.body.dataset.autonomousState = state.state;
    const up = state.up || {};
    const waiting = (up.entries || 0) + (up.customers || 0);
    document.body.dataset.autonomousWaiting = String(waiting);
    chip.textContent = `till ${state.till_id}: ${AUTONOMOUS_WORDS[state.state] || state.state}`
      + (waiting ? ` · ${waiting} waiting to go up` : "");
    chip.title = [state.last_error || `last synchronised ${state.last_success_at || "never"}`,
      `last acknowledged ticket: ${up.last_acknowledged || "none"}`,
      up.customers_held ? `customer changes held: ${up.customers_held}` : ""]
      .filter(Boolean).join("\n");
    // Another server than this page's: its trouble shows even while this one answers.
    window.comptoirPos?.status?.report("central",
      { ...centralStatus(state, waiting), sameServer: false });
  } catch (error) {
    // this till's own server did not answer: the page's status says "offline" already
  }
}

refreshAutonomousState();
setInterval(refreshAutonomousState, AUTONOMOUS_PERIOD_MS);
