// The room: the last path segment of the WebSocket URL.
//
// Upstream (Django LiveView 2.2) prefers localStorage["room"] over
// <html data-room>, which shares one permanent room between all tabs and
// users of a browser profile. We use the page's data-room by default and
// keep upstream's behaviour behind webSocketConfig.legacyRoomStorage.

const STORAGE_KEY = "room";

// resolveRoom picks the room for the next connection.
export function resolveRoom(cfg) {
  const legacy = cfg.legacyRoomStorage === true;
  if (legacy) {
    // Upstream step 1: a stored non-blank room wins over the page.
    const stored = readStorage();
    if (stored?.trim()) return stored;
  }
  const html = document.documentElement;
  let room = (html.dataset.room || "").trim();
  if (!room) {
    // No room in the page: make one and write it back like upstream.
    room = uuidv4();
    html.dataset.room = room;
  }
  if (legacy) writeStorage(room);
  return room;
}

// uuidv4 returns a random UUID from the browser's CSPRNG (never Math.random).
export function uuidv4() {
  const c = crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  // randomUUID exists only in secure contexts; plain http still has this.
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; // version 4
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Storage may be disabled (privacy modes, sandboxed iframes): never throw.
function readStorage() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch (_) {
    return null;
  }
}

function writeStorage(room) {
  try {
    localStorage.setItem(STORAGE_KEY, room);
  } catch (_) {
    // The room still works for this page; it just is not persisted.
  }
}
