import type { ReactNode } from 'react';

/** A table row that selects its index by click, Enter or Space (linked to a chart's highlighted point). */
export function SelectableRow({
  index,
  selected,
  onSelect,
  children,
}: {
  index: number;
  selected: number | null;
  onSelect: (i: number) => void;
  children: ReactNode;
}) {
  return (
    <tr
      data-row={index}
      className={selected === index ? 'selected' : ''}
      tabIndex={0}
      onClick={() => onSelect(index)}
      onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && onSelect(index)}
      aria-selected={selected === index}
    >
      {children}
    </tr>
  );
}
