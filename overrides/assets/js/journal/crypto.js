/* Sealing text with a passphrase (Web Crypto only; no library, no network).
 *
 * A passphrase becomes an AES-GCM key through PBKDF2-SHA-256 with a random 16-byte salt and
 * ITERATIONS rounds; each sealing uses a fresh random 12-byte IV. An "envelope" is a plain
 * object that says how it was sealed, so a later version can raise the rounds and still open
 * what an earlier one sealed:
 *
 *   {"kdf": {"name": "PBKDF2", "hash": "SHA-256", "iterations": 600000, "salt": "<base64>"},
 *    "cipher": {"name": "AES-GCM", "iv": "<base64>"},
 *    "data": "<base64 ciphertext with its 16-byte tag>"}
 *
 * `context` is authenticated but not stored (AES-GCM additional data): an envelope sealed for
 * one purpose (the journal of one site, an export file) does not open as another.
 *
 * This module keeps nothing: store.js holds the key in memory and is the only code that writes
 * an envelope to storage; exchange.js seals export files. JOURNAL.md documents both formats.
 */

/* OWASP's 2023 figure for PBKDF2-HMAC-SHA-256; bench/journal_lock.py measures an unlock. */
export var ITERATIONS = 600000;
var MIN_ITERATIONS = 310000; // an envelope asking for fewer rounds is refused, not weakened
var MAX_ITERATIONS = 10000000; // nor one that would keep the page busy for minutes

export function WrongPassphrase() {
  this.name = "WrongPassphrase";
  this.message = "the passphrase does not open this";
}

export function randomBytes(length) {
  return crypto.getRandomValues(new Uint8Array(length));
}

/* Base64 of bytes, in chunks (String.fromCharCode.apply has an argument limit). */
export function toBase64(bytes) {
  var text = "";
  for (var i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

export function fromBase64(text) {
  var binary = atob(text);
  var bytes = new Uint8Array(binary.length);
  for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function isText(value) {
  return typeof value === "string" && value.length > 0;
}

/* Is `value` shaped like an envelope this module can open? (Not: does it open.) */
export function isEnvelope(value) {
  if (!value || typeof value !== "object") return false;
  var kdf = value.kdf;
  var cipher = value.cipher;
  return Boolean(kdf && cipher && kdf.name === "PBKDF2" && kdf.hash === "SHA-256" &&
    typeof kdf.iterations === "number" && kdf.iterations >= MIN_ITERATIONS && kdf.iterations <= MAX_ITERATIONS &&
    isText(kdf.salt) && cipher.name === "AES-GCM" && isText(cipher.iv) && isText(value.data));
}

/* A key from a passphrase: the slow step (about a fifth of a second), done once per unlock. */
export async function deriveKey(passphrase, salt, iterations) {
  var material = await crypto.subtle.importKey("raw", new TextEncoder().encode(passphrase), "PBKDF2", false,
    ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: iterations },
    material, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

/* A new key and its KDF settings, from a passphrase and a fresh salt (setting a lock, changing
   the passphrase, sealing an export). */
export async function newKey(passphrase) {
  var salt = randomBytes(16);
  var key = await deriveKey(passphrase, salt, ITERATIONS);
  return { key: key, kdf: { name: "PBKDF2", hash: "SHA-256", iterations: ITERATIONS, salt: toBase64(salt) } };
}

/* The key that opens `envelope`, from a passphrase (it is not yet known to be the right one). */
export function keyFor(passphrase, envelope) {
  return deriveKey(passphrase, fromBase64(envelope.kdf.salt), envelope.kdf.iterations);
}

/* Seal `text` with `key` (made with settings `kdf`), bound to `context`. */
export async function seal(key, kdf, text, context) {
  var iv = randomBytes(12);
  var data = await crypto.subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: new TextEncoder().encode(context) },
    key, new TextEncoder().encode(text));
  return { kdf: kdf, cipher: { name: "AES-GCM", iv: toBase64(iv) }, data: toBase64(new Uint8Array(data)) };
}

/* The text inside `envelope`; throws WrongPassphrase when `key` (or `context`) is not the one
   it was sealed with, or the envelope was altered. */
export async function open(key, envelope, context) {
  var plain;
  try {
    plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(envelope.cipher.iv),
      additionalData: new TextEncoder().encode(context) }, key, fromBase64(envelope.data));
  } catch (error) {
    throw new WrongPassphrase();
  }
  return new TextDecoder().decode(plain);
}
