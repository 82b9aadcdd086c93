/**
 * The scenario in the URL: JSON, deflated (raw DEFLATE, RFC 1951) and base64url-encoded, with a
 * one-letter format mark so later encodings can be told apart. Uses the platform's
 * CompressionStream (browsers, Node 18+): no dependency.
 */
const MARK = 'z';

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const b = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream, limit = Infinity): Promise<Uint8Array> {
  const reader = new Blob([bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer]).stream().pipeThrough(stream).getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > limit) {
      await reader.cancel();
      throw new Error(`the shared scenario expands past ${limit} bytes`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export async function encodeScenario(scenario: unknown): Promise<string> {
  const raw = new TextEncoder().encode(JSON.stringify(scenario));
  return MARK + toBase64Url(await pipe(raw, new CompressionStream('deflate-raw')));
}

/** The scenario of a share link; throws with a reason on anything else (and on a bomb past `limit` bytes). */
export async function decodeScenario(text: string, limit = 1024 * 1024): Promise<unknown> {
  if (!text.startsWith(MARK)) throw new Error('not a Sinan share link (unknown format)');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(text.slice(1));
  } catch {
    throw new Error('the share link is damaged (not base64url)');
  }
  let json: Uint8Array;
  try {
    json = await pipe(bytes, new DecompressionStream('deflate-raw'), limit);
  } catch (e) {
    throw new Error(e instanceof Error && e.message.includes('expands') ? e.message : 'the share link is damaged (not DEFLATE data)');
  }
  return JSON.parse(new TextDecoder().decode(json));
}
