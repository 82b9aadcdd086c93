/** `x` as a regular expression that matches exactly it (every metacharacter escaped). */
export const escapeRegex = (x: string): string => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
