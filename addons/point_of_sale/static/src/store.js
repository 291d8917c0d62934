// The till's IndexedDB ("comptoir-pos"): what must survive a reload, a crash, hours offline.
//   outbox       paid orders not yet acknowledged by the server, keyed by uuid:
//                {uuid, config_id, order (the wire order), receipt, status: "pending"|"rejected",
//                 error?, paid_at}
//   open_orders  orders being rung up (not paid), keyed by uuid
//   cache        {key, value}: "data:<config id>" (the last loaded data), "login:<session id>"
//                (the login number), "sequence:<session id>" (the last order number used here),
//                "free-sequences:<session id>" (numbers of deleted unpaid orders, to use again)
// A paid order moves from open_orders to outbox in one transaction: never both, never neither.

const DB_NAME = "comptoir-pos";
const DB_VERSION = 1;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error || new Error("transaction aborted"));
  });
}

export class Store {
  static async open() {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "uuid" });
      if (!db.objectStoreNames.contains("open_orders")) {
        db.createObjectStore("open_orders", { keyPath: "uuid" });
      }
      if (!db.objectStoreNames.contains("cache")) db.createObjectStore("cache", { keyPath: "key" });
    };
    const db = await promised(request);
    // Another tab upgrading the schema: let it, this tab will be reloaded by the person.
    db.onversionchange = () => db.close();
    return new Store(db);
  }

  constructor(db) {
    this.db = db;
  }

  async all(storeName) {
    const transaction = this.db.transaction(storeName, "readonly");
    return promised(transaction.objectStore(storeName).getAll());
  }

  async put(storeName, value) {
    const transaction = this.db.transaction(storeName, "readwrite");
    transaction.objectStore(storeName).put(value);
    return done(transaction);
  }

  async delete(storeName, key) {
    const transaction = this.db.transaction(storeName, "readwrite");
    transaction.objectStore(storeName).delete(key);
    return done(transaction);
  }

  async getCached(key) {
    const transaction = this.db.transaction("cache", "readonly");
    const row = await promised(transaction.objectStore("cache").get(key));
    return row ? row.value : undefined;
  }

  setCached(key, value) {
    return this.put("cache", { key, value, saved_at: new Date().toISOString() });
  }

  /** The next order number of `sessionId` on this device, never below `floor` unless a number
   * was given back (`releaseSequence`): the smallest of those comes first. Atomic. */
  async nextSequence(sessionId, floor = 0) {
    const transaction = this.db.transaction("cache", "readwrite");
    const store = transaction.objectStore("cache");
    const key = `sequence:${sessionId}`;
    const freeKey = `free-sequences:${sessionId}`;
    const [row, freeRow] = await Promise.all([promised(store.get(key)), promised(store.get(freeKey))]);
    const free = freeRow ? [...freeRow.value] : [];
    let next;
    if (free.length) {
      next = Math.min(...free);
      free.splice(free.indexOf(next), 1);
      store.put({ key: freeKey, value: free, saved_at: new Date().toISOString() });
    } else {
      next = Math.max(row ? row.value : 0, floor) + 1;
      store.put({ key, value: next, saved_at: new Date().toISOString() });
    }
    await done(transaction);
    return next;
  }

  /** Give back the number of an order deleted before it was paid: the last one issued lowers
   * the counter (and any given-back numbers just below it), another waits for nextSequence.
   * So the references of paid orders skip no number (before: every deleted order, and every
   * empty order made after a payment or by "+", took a number for good). Atomic. */
  async releaseSequence(sessionId, number) {
    const transaction = this.db.transaction("cache", "readwrite");
    const store = transaction.objectStore("cache");
    const key = `sequence:${sessionId}`;
    const freeKey = `free-sequences:${sessionId}`;
    const [row, freeRow] = await Promise.all([promised(store.get(key)), promised(store.get(freeKey))]);
    const free = new Set(freeRow ? freeRow.value : []);
    let last = row ? row.value : 0;
    if (number === last) {
      last -= 1;
      while (free.delete(last)) last -= 1;
      store.put({ key, value: last, saved_at: new Date().toISOString() });
    } else if (number < last) {
      free.add(number);
    }
    store.put({ key: freeKey, value: [...free].sort((a, b) => a - b), saved_at: new Date().toISOString() });
    await done(transaction);
  }

  /** Move a paid order out of open_orders into the outbox, in one transaction. */
  async movePaidOrder(entry) {
    const transaction = this.db.transaction(["open_orders", "outbox"], "readwrite");
    transaction.objectStore("open_orders").delete(entry.uuid);
    transaction.objectStore("outbox").put(entry);
    return done(transaction);
  }

  /** Apply the server's answer to a push: drop acknowledged orders, mark rejected ones. */
  async applyResults(results) {
    const transaction = this.db.transaction("outbox", "readwrite");
    const outbox = transaction.objectStore("outbox");
    for (const result of results) {
      if (!result || typeof result.uuid !== "string") continue;
      if (result.status === "created" || result.status === "duplicate") {
        outbox.delete(result.uuid);
      } else if (result.status === "rejected") {
        const entry = await promised(outbox.get(result.uuid));
        if (entry) {
          entry.status = "rejected";
          entry.error = result.error || { code: "rejected", message: "rejected by the server" };
          entry.rejected_at = new Date().toISOString();
          outbox.put(entry);
        }
      }
    }
    return done(transaction);
  }
}
