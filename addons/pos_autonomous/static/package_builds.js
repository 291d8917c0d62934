/**
 * The central page follows the packages being made (New till): each queued or running build's
 * row reads its status every second (rows copied, rate, time left, in words the server gives)
 * and, when the package is ready, the browser downloads it (the page that watched it being
 * made: a reload of a finished build only shows its Download link). Text only, never HTML.
 */
const FOLLOWED = ["queued", "running"];

function showBuild(row, build) {
  row.dataset.buildState = build.state;
  row.querySelector(".build-state").textContent = build.state;
  row.querySelector(".build-progress").textContent = build.words;
  row.querySelector(".build-till").textContent = build.till_id ? String(build.till_id) : "";
  const action = row.querySelector(".build-action");
  if (build.ready && !action.querySelector("a")) {
    const link = document.createElement("a");
    link.href = row.dataset.downloadUrl;
    link.textContent = "Download";
    action.replaceChildren(link);
  }
}

async function followBuild(row) {
  for (;;) {
    try {
      const response = await fetch(row.dataset.statusUrl, { credentials: "same-origin" });
      if (response.ok) {
        const build = await response.json();
        showBuild(row, build);
        if (!FOLLOWED.includes(build.state)) {
          if (build.ready) window.location.assign(row.dataset.downloadUrl);
          return;
        }
      }
    } catch (error) {
      // the server did not answer (restarting): ask again in a second
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

for (const row of document.querySelectorAll("tr[data-build-state]")) {
  if (FOLLOWED.includes(row.dataset.buildState)) followBuild(row);
}
