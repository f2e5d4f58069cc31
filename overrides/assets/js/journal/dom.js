/* The reader's journal: small helpers every part uses. Building elements
 * (`el`), finding them (`all`) and two checks on values (`isObject`, `isBlank`). No storage,
 * no state.
 */

/** A new element with these attributes and, if given, this text. */
export function el(tag, attrs, text) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** Every element under `root` that matches `selector`, as an array. */
export function all(root, selector) {
  return Array.prototype.slice.call(root.querySelectorAll(selector));
}

/** A plain object (not null, not an array). */
export function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** An answer that says nothing: unticked, absent, or only spaces. */
export function isBlank(value) {
  return value === false || value === null || value === undefined ||
    (typeof value === "string" && value.trim() === "");
}
