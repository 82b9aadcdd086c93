import { useEffect, useState } from 'react';
import type { Obj } from './components/Editor.js';
import { EXAMPLES } from './examples.js';
import { FleetPage } from './pages/Fleet.js';
import { OptimizePage } from './pages/Optimize.js';
import { ServingPage } from './pages/Serving.js';
import { TrainingPage } from './pages/Training.js';
import { ValidationPage } from './pages/Validation.js';
import { PAGES, readHash, scenarioFromHash, type Page } from './state.js';

const TITLES: Record<Page, string> = { training: 'Training', serving: 'Serving', optimize: 'Optimize', fleet: 'Fleet', validation: 'Validation' };

/** The page and its scenario come from the URL (a share link), else the page's built-in example. */
export function App() {
  const [page, setPage] = useState<Page>(readHash().page);
  const [initial, setInitial] = useState<Obj | null>(null);
  const [linkError, setLinkError] = useState<string | null>(null);
  useEffect(() => {
    const load = async () => {
      const { page: p } = readHash();
      setPage(p);
      try {
        const s = await scenarioFromHash();
        setLinkError(null);
        setInitial((s as Obj | null) ?? (p === 'validation' ? {} : structuredClone(EXAMPLES[p] as unknown as Obj)));
      } catch (e) {
        setLinkError((e as Error).message);
        setInitial(p === 'validation' ? {} : structuredClone(EXAMPLES[p] as unknown as Obj));
      }
    };
    void load();
    const onHash = () => {
      const { page: p, code } = readHash();
      // a page change (or a pasted link) reloads; our own hash writes keep the page
      if (p !== page || (code && code !== lastCode)) void load();
    };
    let lastCode = readHash().code;
    const tick = () => (lastCode = readHash().code);
    window.addEventListener('hashchange', onHash);
    window.addEventListener('sinan-hash', tick);
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('sinan-hash', tick);
    };
  }, [page]);
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header>
        <div className="brand">Sinan</div>
        <nav aria-label="pages">
          {PAGES.map((p) => (
            <a key={p} href={`#/${p}`} aria-current={p === page ? 'page' : undefined}>
              {TITLES[p]}
            </a>
          ))}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <h1>{TITLES[page]}</h1>
        {linkError ? (
          <div role="alert" className="card error">
            This link could not be read ({linkError}); showing the built-in example.
          </div>
        ) : null}
        {initial === null ? (
          <p>loading…</p>
        ) : page === 'training' ? (
          <TrainingPage key={JSON.stringify(initial)} initial={initial} />
        ) : page === 'serving' ? (
          <ServingPage key={JSON.stringify(initial)} initial={initial} />
        ) : page === 'optimize' ? (
          <OptimizePage key={JSON.stringify(initial)} initial={initial} />
        ) : page === 'fleet' ? (
          <FleetPage key={JSON.stringify(initial)} initial={initial} />
        ) : (
          <ValidationPage />
        )}
      </main>
      <footer>
        Sinan plans from published measurements; every number below has its derivation. API: <a href="/v1/openapi.json">/v1/openapi.json</a>
      </footer>
    </>
  );
}
