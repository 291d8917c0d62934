/**
 * The central page follows the packages being made (New till): each queued or running build's
 * row reads its status every second (rows copied, rate, time left, in words the server gives)
 * and, when the package is ready, the browser downloads it (the page that watched it being
 * made: a reload of a finished build only shows its Download button). Text only, never HTML.
 * The download is a POST with the page's CSRF token (a link could be spent by another site).
 */
const FOLLOWED = ["queued", "running"];

function showBuild(row, build) {
  row.dataset.buildState = build.state;
  row.querySelector(".build-state").textContent = build.state;
  row.querySelector(".build-progress").textContent = build.words;
  row.querySelector(".build-till").textContent = build.till_id ? String(build.till_id) : "";
  const action = row.querySelector(".build-action");
  if (build.ready && !action.querySelector("form")) {
    const form = document.createElement("form");
    form.method = "post";
    form.action = row.dataset.downloadUrl;
    const token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = row.closest("table").dataset.csrf;
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = "Download";
    form.append(token, button);
    action.replaceChildren(form);
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
          if (build.ready) row.querySelector(".build-action form").submit();
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
