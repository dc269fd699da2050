// Text for the HTML report: escaping (every string from data goes through `esc`) and locale-free number formatting,
// so the same data gives the same bytes on every machine.

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for an HTML text node or a quoted attribute value. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Groups the digits of a whole number in threes with thin spaces: 1 234 567. */
function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009");
}

/**
 * A number for a person: 4 significant digits; whole numbers of 10 000 and above grouped; very small or very
 * large ones in scientific form. Not finite -> an em dash.
 */
export function num(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return "\u2014";
  if (x === 0) return "0";
  const a = Math.abs(x);
  const sign = x < 0 ? "-" : "";
  if (a >= 1e15 || a < 1e-4) {
    const [m, e] = a.toExponential(digits - 1).split("e");
    return `${sign}${trimZeros(m!)}e${e}`;
  }
  if (a >= 10 ** digits) return sign + group(Math.round(a).toString());
  return sign + trimZeros(a.toPrecision(digits));
}

function trimZeros(s: string): string {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

/** A coordinate for SVG: at most 2 decimals, no trailing zeros. */
export function px(x: number): string {
  const r = Math.round(x * 100) / 100;
  return Object.is(r, -0) ? "0" : String(r);
}
