import type { Derivation } from '../../../src/charts/derive.js';
import { fmtValue } from '../../../src/charts/format.js';

/** How each number was derived: nested, expandable items (the same tree the HTML report shows). */
function Item({ d }: { d: Derivation }) {
  const head = (
    <>
      <span>{d.label}</span> <b>{fmtValue(d.value, d.unit)}</b>
      {d.rule ? <span className="rule"> = {d.rule === 'sum' ? 'the sum of' : d.rule}</span> : null}
    </>
  );
  const src = d.source ? <div className="src">source: {d.source}</div> : null;
  if (!d.terms?.length)
    return (
      <li data-derivation={d.id}>
        {head}
        {src}
      </li>
    );
  return (
    <li data-derivation={d.id}>
      <details id={`how-${d.id}`}>
        <summary>{head}</summary>
        {src}
        <ul>
          {d.terms.map((t) => (
            <Item key={t.id} d={t} />
          ))}
        </ul>
      </details>
    </li>
  );
}

export function Derivations({ items }: { items: Derivation[] }) {
  return (
    <section aria-labelledby="how-title" className="card">
      <h2 id="how-title">How each number was derived</h2>
      <ul className="der">
        {items.map((d) => (
          <Item key={d.id} d={d} />
        ))}
      </ul>
    </section>
  );
}

/** A headline number with a button that opens its derivation. */
export function Metric({ label, value, how }: { label: string; value: string; how?: string }) {
  const open = () => {
    const el = document.getElementById(`how-${how}`) as HTMLDetailsElement | null;
    if (el) {
      el.open = true;
      el.scrollIntoView({ block: 'center' });
      el.querySelector('summary')?.focus();
    }
  };
  return (
    <div className="metric" data-metric={how ?? label}>
      <div className="metric-label">{label}</div>
      <div className="metric-value">{value}</div>
      {how ? (
        <button type="button" className="link" onClick={open} aria-label={`how ${label} was derived`}>
          how?
        </button>
      ) : null}
    </div>
  );
}
