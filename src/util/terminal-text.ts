/**
 * Text from files (tensor names, metadata) made safe to print on a terminal. A name read from a
 * checkpoint may hold control characters: an escape sequence (ESC[31m recolours the terminal,
 * ESC]0;...BEL retitles it), NUL, a carriage return that overwrites the line, or a bidirectional
 * override that reorders what follows (the "Trojan Source" characters, CVE-2021-42574). Each such
 * character is written as a `\uXXXX` escape, so the text shows what the file holds and the terminal
 * interprets none of it. Escaped: C0 (U+0000-001F), DEL (U+007F), C1 (U+0080-009F), the bidi
 * embeddings and overrides U+202A-202E and the isolates U+2066-2069.
 */

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const escapeOne = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `s` with every terminal control character (see above) written as a `\uXXXX` escape; other text unchanged. */
export function escapeControls(s: string): string {
  return s.replace(UNSAFE, escapeOne);
}
