import { decodeScenario, encodeScenario } from '../../src/charts/share.js';

/** The page and its scenario live in the URL hash: #/<page>/<compressed scenario>, so a link reproduces the plan. */
export type Page = 'training' | 'serving' | 'optimize' | 'fleet' | 'validation';
export const PAGES: Page[] = ['training', 'serving', 'optimize', 'fleet', 'validation'];

export function readHash(): { page: Page; code: string | null } {
  const [, page, code] = (location.hash || '#/training').split('/');
  return { page: PAGES.includes(page as Page) ? (page as Page) : 'training', code: code || null };
}

export async function scenarioFromHash(): Promise<unknown | null> {
  const { code } = readHash();
  return code ? decodeScenario(code) : null;
}

export async function shareUrl(page: Page, scenario: unknown): Promise<string> {
  return `${location.origin}${location.pathname}#/${page}/${await encodeScenario(scenario)}`;
}

export async function writeHash(page: Page, scenario: unknown | null): Promise<void> {
  const h = scenario ? `#/${page}/${await encodeScenario(scenario)}` : `#/${page}`;
  if (location.hash !== h) history.replaceState(null, '', h);
  window.dispatchEvent(new Event('sinan-hash'));
}
