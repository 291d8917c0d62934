/**
 * The till's admin page refreshes its synchronisation status by itself: it reads
 * GET /pos_autonomous/status every second while a full import runs (rows, rate, time left),
 * every 5 s otherwise, and rewrites the status and tables cells (text only, never HTML).
 */
const statusTable = document.getElementById("sync-status");
const tablesBody = document.getElementById("sync-tables");

function setCell(rowId, text) {
  const cell = document.querySelector(`#${CSS.escape(rowId)} td`);
  if (cell && cell.textContent !== text) cell.textContent = text;
}

function progressText(table) {
  const p = table.progress;
  if (!p) return table.mode === "full" ? `${table.reason || "full"}: waiting its turn` : "";
  const left = p.seconds_left === null ? "" : `, ${Math.round(p.seconds_left)} s left`;
  return `${table.reason || "full"}: ${p.rows_done}/${p.rows_total} rows, `
    + `${Math.round(p.rate)} rows/s${left}`;
}

function renderTables(tables) {
  const rows = Object.entries(tables).map(([name, table]) => {
    const row = document.createElement("tr");
    row.id = `checkpoint-${name}`;
    for (const text of [name, table.mode, String(table.version), progressText(table)]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.appendChild(cell);
    }
    return row;
  });
  tablesBody.replaceChildren(...rows);
}

async function refreshTillStatus() {
  let wait = 5000;
  try {
    const response = await fetch(statusTable.dataset.statusUrl, { credentials: "same-origin" });
    if (response.ok) {
      const state = await response.json();
      if (state.role === "till") {
        setCell("sync-state", state.state);
        setCell("sync-last-success", state.last_success_at || "never");
        setCell("sync-last-attempt", state.last_attempt_at || "never");
        setCell("sync-last-error", state.last_error
          ? `${state.last_error} (${state.failures} failure(s) in a row)` : "none");
        setCell("sync-alarm", state.alarm || "none");
        setCell("sync-last-event", state.last_event || "none");
        renderTables(state.tables);
        document.body.dataset.syncRefreshed = String(Date.now());
        if (state.state === "importing") wait = 1000;
      }
    }
  } catch (error) {
    // this till's own server did not answer (restarting): try again later
  }
  setTimeout(refreshTillStatus, wait);
}

if (statusTable && tablesBody) refreshTillStatus();

/** A recovery under way (the Recover button): its lines every second, then the page again. */
const recoverySection = document.getElementById("recovery");

async function followRecovery() {
  try {
    const response = await fetch(recoverySection.dataset.recoveryUrl, { credentials: "same-origin" });
    if (response.ok) {
      const run = await response.json();
      const items = run.lines.map((line) => {
        const item = document.createElement("li");
        item.textContent = line;
        return item;
      });
      document.getElementById("recovery-lines").replaceChildren(...items);
      if (!run.running) {
        window.location.reload();
        return;
      }
    }
  } catch (error) {
    // this till's own server did not answer: try again
  }
  setTimeout(followRecovery, 1000);
}

if (recoverySection && recoverySection.dataset.running === "1") followRecovery();
