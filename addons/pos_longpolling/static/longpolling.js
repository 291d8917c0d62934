/**
 * pos_longpolling on the POS page: the bus client, its PING/PONG heartbeat, a status icon per bus.
 *
 * A Bus listens on its channels, each JSON.stringify([dbName, name, String(configId)]), and hands
 * every notification to the callbacks subscribed to its name. It opens a WebSocket to
 * {serverUrl}/longpolling/websocket when it can (the server pushes each answer on it); when the
 * socket cannot be opened (an old server, a proxy without WebSocket, a browser without it, or a
 * bus with a token, which a WebSocket cannot carry) it long-polls POST {serverUrl}/longpolling/poll
 * instead, and tries the socket again after SOCKET_RETRY_MS. After a failure it polls until a
 * poll gets through, then opens a socket again. `last` (the highest id seen) is
 * kept in localStorage, so a reload neither repeats nor misses a message. A failed poll or a
 * dropped socket marks the bus offline and is retried after a back-off with jitter, so that the
 * tills of a shop do not all come back at the same instant.
 *
 * The heartbeat, as the original module's: when nothing came for longpolling_max_silence_timeout
 * seconds, PING (POST /pos_longpolling/update); the server answers with a "PONG" on the bus. If it
 * has not come by the time the PING returns, wait longpolling_pong_timeout seconds more, then the
 * bus is offline. A poll answer or any message puts it back online.
 *
 *   window.comptoirPos.longpolling = {bus, Bus, addBus(serverUrl, {token, label})}
 *     bus     the main Bus (this server), once "pos:loaded"; started if autostart_longpolling
 *     addBus  another Bus (a separate sync server), with its own icon; subscribe, then start()
 *   Events on window.comptoirPos: "longpolling:state" {bus, state} (state "offline",
 *   "connecting" or "online") and "longpolling:message" {bus, notification}.
 *   document.body.dataset.busState mirrors the main bus's state, and busTransportInUse its
 *   transport ("websocket" or "poll") (tests read them). Event "longpolling:transport"
 *   {bus, transport} when it changes.
 *
 * Settings (query parameters win over <body data-…> attributes; tests use them to run fast):
 *   ?bus_retry_ms= / data-bus-retry-ms          wait after a failed poll (10000)
 *   ?bus_jitter_ms= / data-bus-jitter-ms        plus a random share of this (20000; 0 for none)
 *   ?bus_poll_timeout= / data-bus-poll-timeout  a poll's options.timeout, in seconds (50)
 *   ?bus_transport=poll / data-bus-transport    long-poll only (default "auto": WebSocket first)
 */
const pos = window.comptoirPos;
const body = document.body;
const root = body.dataset.root || "";
const query = new URLSearchParams(location.search);

const HEARTBEAT = "pos.longpolling";
const POLL_GRACE_S = 10; // the server answers by the poll's timeout; give the network 10 s more
const PING_TIMEOUT_MS = 30000;
const SOCKET_RETRY_MS = 300000; // after a socket could not be opened, long-poll this long
const SIGNED_OUT_SLOWDOWN = 6; // signed out (401): nobody is there to sign in again soon
const STATE_WORDS = { online: "online", connecting: "connecting", offline: "offline — retrying" };

function setting(queryName, attribute, fallback, zeroAllowed = false) {
  for (const raw of [query.get(queryName), body.dataset[attribute]]) {
    const value = Number(raw);
    if (raw !== null && raw !== undefined && raw !== "" && Number.isFinite(value)
        && (value > 0 || (zeroAllowed && value === 0))) return value;
  }
  return fallback;
}

function emit(name, detail) {
  try {
    pos.dispatchEvent(new CustomEvent(name, { detail }));
  } catch (error) {
    console.error(`longpolling: a "${name}" listener failed`, error);
  }
}

// localStorage may be unavailable (storage disabled): the bus then only forgets `last` on reload.
function stored(action) {
  try { return action(); } catch (error) { return null; }
}

class RequestError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export class Bus {
  constructor({ serverUrl = "", token = null, dbName, configId, label = "Bus", pollTimeout = 50,
                retryMs = 10000, jitterMs = 20000, maxSilence = 60, pongTimeout = 10,
                transport = "auto" }) {
    Object.assign(this, { serverUrl: serverUrl.replace(/\/+$/, ""), token, dbName, configId,
                          label, pollTimeout, retryMs, jitterMs, maxSilence, pongTimeout });
    this.socketWanted = transport !== "poll";
    this.socketRetryAt = 0; // Date.now() from which to try a socket again
    this.pollFirst = false; // after a failure: a poll tells when the server is back, then a socket
    this.socket = null; // the WebSocket open or opening
    this.transport = null; // "websocket" or "poll", once one worked
    this.state = "offline";
    this.running = false;
    this.callbacks = new Map(); // channel name -> [callback]
    this.lastKey = "pos_longpolling.last " + JSON.stringify(
      [new URL(this.serverUrl || "/", location.href).origin, dbName, String(configId)]);
    this.last = Number(stored(() => localStorage.getItem(this.lastKey))) || 0;
    this.run = 0; // bumped by stop() and restarts: a loop of an older run ends
    this.poll = null; // the AbortController of the poll under way
    this.wake = null; // ends the back-off early
    this.silenceTimer = null;
    this.pongTimer = null;
    this.awaitingPong = false;
    this.subscribe(HEARTBEAT, () => {}); // the PONGs: alive() already counts every message
    window.addEventListener("online", () => this.wakeUp());
  }

  channel(name) { return JSON.stringify([this.dbName, name, String(this.configId)]); }

  subscribe(name, callback) {
    const known = this.callbacks.has(name);
    if (!known) this.callbacks.set(name, []);
    this.callbacks.get(name).push(callback);
    if (!known && this.running) this.restartPoll(); // the poll under way lacks the channel
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.setState("connecting", true);
    this.heartbeat();
    this.loop(++this.run);
  }

  stop() {
    if (!this.running) return;
    this.running = false;
    this.run += 1;
    if (this.poll) this.poll.abort();
    if (this.socket) this.socket.close();
    this.wakeUp();
    clearTimeout(this.silenceTimer);
    clearTimeout(this.pongTimer);
    this.awaitingPong = false;
    this.setState("offline", true);
  }

  /** PING now; the PONG comes on the bus. */
  async ping() {
    if (!this.running) return;
    clearTimeout(this.silenceTimer);
    clearTimeout(this.pongTimer);
    this.awaitingPong = true;
    try {
      await this.post("/pos_longpolling/update",
        { pos_id: Number(this.configId), message: "PING", db_name: this.dbName }, PING_TIMEOUT_MS);
      if (!this.running) return;
      this.wakeUp(); // the server is there: no need to sit out a back-off
      if (this.awaitingPong) {
        this.pongTimer = setTimeout(() => this.noPong(), this.pongTimeout * 1000);
      }
    } catch (error) {
      if (!this.running) return;
      this.awaitingPong = false;
      this.setState("offline");
      this.heartbeat(); // PING again after another silence
    }
  }

  // -- internals ----------------------------------------------------------------------------

  async loop(run) {
    while (this.run === run) {
      if (this.socketUsable()) {
        const outcome = await this.listen(run);
        if (this.run !== run) return;
        if (outcome === "refused") {
          this.socketRetryAt = Date.now() + SOCKET_RETRY_MS;
          continue; // long-poll at once
        }
        this.setState("offline"); // it worked, then dropped: the network or the server
        this.pollFirst = true;
        await this.sleep(this.retryMs + Math.random() * this.jitterMs);
        continue;
      }
      const controller = this.poll = new AbortController();
      let wait = 0;
      try {
        const notifications = await this.post("/longpolling/poll", {
          channels: [...this.callbacks.keys()].map((name) => this.channel(name)),
          last: this.last,
          options: { timeout: this.pollTimeout },
        }, (this.pollTimeout + POLL_GRACE_S) * 1000, controller);
        if (this.run !== run) return;
        this.setTransport("poll");
        this.pollFirst = false;
        this.alive();
        this.receive(Array.isArray(notifications) ? notifications : []);
      } catch (error) {
        if (this.run !== run) return; // stopped or restarted: that abort is no failure
        this.setState("offline");
        // The server itself is away: once a poll gets through again, try a socket.
        this.pollFirst = true;
        this.socketRetryAt = 0;
        wait = this.retryMs * (error.status === 401 ? SIGNED_OUT_SLOWDOWN : 1)
          + Math.random() * this.jitterMs;
      } finally {
        if (this.poll === controller) this.poll = null;
      }
      if (wait) await this.sleep(wait);
    }
  }

  socketUsable() {
    return this.socketWanted && !this.token && typeof WebSocket === "function"
      && !this.pollFirst && Date.now() >= this.socketRetryAt;
  }

  /** One WebSocket session: resolves "refused" if it never opened or the server refused the
   * subscription (then long-poll), "closed" if it dropped after it worked. */
  listen(run) {
    return new Promise((resolve) => {
      const url = new URL(this.serverUrl + "/longpolling/websocket", location.href);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      let socket;
      try {
        socket = this.socket = new WebSocket(url);
      } catch (error) {
        resolve("refused");
        return;
      }
      let opened = false;
      let refused = false;
      let watchdog = null;
      // The server speaks at least once a cycle ([] when nothing came): silence means dead.
      const watch = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => socket.close(), (this.pollTimeout + POLL_GRACE_S) * 1000);
      };
      socket.onopen = () => {
        opened = true;
        socket.send(JSON.stringify({
          channels: [...this.callbacks.keys()].map((name) => this.channel(name)),
          last: this.last,
          options: { timeout: this.pollTimeout },
        }));
        watch();
      };
      socket.onmessage = (event) => {
        if (this.run !== run) return;
        watch();
        let answer = null;
        try { answer = JSON.parse(event.data); } catch (error) { return; }
        if (Array.isArray(answer)) {
          this.setTransport("websocket");
          this.alive();
          this.receive(answer);
        } else if (answer && answer.error) {
          console.warn("longpolling: the server refused the WebSocket subscription",
                       answer.error);
          refused = true;
        }
      };
      socket.onclose = () => {
        clearTimeout(watchdog);
        if (this.socket === socket) this.socket = null;
        resolve(opened && !refused ? "closed" : "refused");
      };
    });
  }

  setTransport(transport) {
    if (transport === this.transport) return;
    this.transport = transport;
    emit("longpolling:transport", { bus: this, transport });
  }

  /** Abort the poll under way and poll again at once (new channels, or a dead connection). */
  restartPoll() {
    if (!this.running) return;
    if (this.poll) this.poll.abort();
    if (this.socket) this.socket.close();
    this.wakeUp();
    this.loop(++this.run);
  }

  receive(notifications) {
    for (const notification of notifications) {
      if (!(notification.id > this.last)) continue; // seen before a restart cut the answer
      this.last = notification.id;
      let name = null;
      try { name = JSON.parse(notification.channel)[1]; } catch (error) { /* not a POS channel */ }
      for (const callback of this.callbacks.get(name) || []) {
        try {
          callback(notification.message, notification);
        } catch (error) {
          console.error(`longpolling: a "${name}" callback failed`, error);
        }
      }
      emit("longpolling:message", { bus: this, notification });
    }
    if (notifications.length) stored(() => localStorage.setItem(this.lastKey, String(this.last)));
  }

  /** A poll answered or a message came: the connection works. */
  alive() {
    this.awaitingPong = false;
    clearTimeout(this.pongTimer);
    this.setState("online");
    this.heartbeat();
  }

  /** (Re)start the max-silence timer, at the end of which comes a PING. */
  heartbeat() {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.ping(), this.maxSilence * 1000);
  }

  noPong() {
    this.awaitingPong = false;
    this.setState("offline");
    this.heartbeat();
    this.restartPoll(); // a poll stuck on a dead connection might never fail by itself
  }

  setState(state, always = false) {
    if (state === this.state && !always) return;
    this.state = state;
    emit("longpolling:state", { bus: this, state });
  }

  sleep(ms) {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); resolve(); };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  wakeUp() {
    const wake = this.wake;
    this.wake = null;
    if (wake) wake();
  }

  async post(path, payload, timeoutMs, controller = new AbortController()) {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const response = await pos.http.fetch(this.serverUrl + path, {
      method: "POST", headers, body: JSON.stringify(payload), signal: controller.signal,
      cache: "no-store", credentials: this.token ? "omit" : "same-origin",
    }, timeoutMs);
    if (!response.ok) throw new RequestError(response.status, `${path}: HTTP ${response.status}`);
    return response.json();
  }
}

// -- the page: the main bus, extra buses, their icons -----------------------------------------

function busOptions(data) {
  const config = data.config;
  const seconds = (value, fallback) => (Number(value) > 0 ? Number(value) : fallback);
  return {
    dbName: data.longpolling.db_name,
    configId: config.id,
    pollTimeout: setting("bus_poll_timeout", "busPollTimeout", 50),
    retryMs: setting("bus_retry_ms", "busRetryMs", 10000),
    jitterMs: setting("bus_jitter_ms", "busJitterMs", 20000, true),
    maxSilence: seconds(config.longpolling_max_silence_timeout, 60),
    pongTimeout: seconds(config.longpolling_pong_timeout, 10),
    transport: query.get("bus_transport") || body.dataset.busTransport || "auto",
  };
}

function addIcon(bus) {
  const icon = document.createElement("button");
  icon.type = "button";
  icon.className = "bus-icon";
  const glyph = icon.appendChild(document.createElement("span"));
  glyph.className = "bus-glyph";
  glyph.setAttribute("aria-hidden", "true");
  glyph.textContent = "↻";
  icon.addEventListener("click", () => bus.ping());
  const render = () => {
    const words = `${bus.label} ${STATE_WORDS[bus.state]}`;
    icon.hidden = !bus.running;
    icon.dataset.state = bus.state;
    icon.title = words;
    icon.setAttribute("aria-label", words);
  };
  pos.addEventListener("longpolling:state", (event) => {
    if (event.detail.bus === bus) render();
  });
  render();
  const sync = document.getElementById("sync-indicator");
  if (sync) sync.before(icon);
  else document.querySelector(".pos-header")?.append(icon);
  return icon;
}

function addBus(serverUrl, { token = null, label } = {}) {
  const data = pos.currentData();
  if (!data || !data.longpolling) throw new Error("longpolling: addBus() needs the loaded data");
  const host = new URL(serverUrl, location.href).host;
  const bus = new Bus({ ...busOptions(data), serverUrl, token, label: label || `Bus ${host}` });
  addIcon(bus);
  return bus;
}

function startMainBus(data) {
  if (!data.longpolling) {
    console.warn("longpolling: the data has no db_name (cached before the addon?); no bus");
    return;
  }
  const bus = new Bus({ ...busOptions(data), serverUrl: root });
  pos.longpolling.bus = bus;
  pos.addEventListener("longpolling:state", (event) => {
    if (event.detail.bus === bus) body.dataset.busState = event.detail.state;
  });
  pos.addEventListener("longpolling:transport", (event) => {
    if (event.detail.bus === bus) body.dataset.busTransportInUse = event.detail.transport;
  });
  body.dataset.busState = bus.state;
  addIcon(bus);
  if (data.config.autostart_longpolling !== false) bus.start();
}

if (pos) {
  pos.longpolling = { bus: null, Bus, addBus };
  let started = false;
  const once = (data) => { if (!started) { started = true; startMainBus(data); } };
  pos.addEventListener("pos:loaded", (event) => once(event.detail));
  if (pos.ready) pos.ready.then(once);
}
