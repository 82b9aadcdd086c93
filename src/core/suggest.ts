/** Did-you-mean suggestions: the closest candidate by edit distance, if it is close enough. */

/** Damerau-Levenshtein distance (optimal string alignment), case-insensitive. */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => [i, ...new Array<number>(n).fill(0)]);
  for (let j = 0; j <= n; j++) d[0]![j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

/** The candidate nearest to `word`, when within a third of its length (at least 1, at most 3 edits), else null. */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  // ties go to the candidate sharing the longest prefix ('llama-3-8b': 'llama-3.1-8b' before 'llama-2-7b')
  const prefix = (c: string) => {
    let n = 0;
    while (n < c.length && n < word.length && c[n]!.toLowerCase() === word[n]!.toLowerCase()) n++;
    return n;
  };
  for (const c of candidates) {
    const dist = editDistance(word, c);
    if (dist < bestD || (dist === bestD && best !== null && prefix(c) > prefix(best))) [best, bestD] = [c, dist];
  }
  if (best !== null && bestD <= limit) return best;
  // a candidate that contains the word, or the word that contains it (e.g. 'llama-3-8b' in 'llama-3.1-8b')
  const lw = word.toLowerCase();
  const sub = candidates.find((c) => c.toLowerCase().includes(lw) || lw.includes(c.toLowerCase()));
  return sub ?? null;
}
