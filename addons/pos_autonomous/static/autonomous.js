/**
 * pos_autonomous on the POS page: a discreet indicator of the till's synchroniser (the page
 * sells either way: its server is this till's own instance). It reads GET
 * {root}/pos_autonomous/status every 15 s and shows nothing on a central instance.
 * document.body.dataset.autonomousState mirrors the state (tests read it).
 */
const autonomousRoot = document.body.dataset.root || "";
const AUTONOMOUS_WORDS = {
  ok: "synchronised", importing: "importing", error: "central server unreachable — selling on",
  never: "not synchronised yet",
};

function autonomousIndicator() {
  let chip = document.getElementById("pos-autonomous-state");
  if (!chip) {
    chip = document.createElement("span");
    chip.id = "pos-autonomous-state";
    chip.style.cssText = "position:fixed;bottom:4px;left:4px;font:11px sans-serif;opacity:.7;"
      + "padding:1px 6px;border-radius:8px;background:#eee;color:#333;z-index:10";
    document.body.appendChild(chip);
  }
  return chip;
}

async function refreshAutonomousState() {
  try {
    const response = await fetch(`${autonomousRoot}/pos_autonomous/status`,
      { credentials: "same-origin" });
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
    chip.style.background = state.state === "error" ? "#fde2c8" : "#eee";
  } catch (error) {
    // this till's own server did not answer: the POS page has its own offline handling
  }
}

refreshAutonomousState();
setInterval(refreshAutonomousState, 15000);
