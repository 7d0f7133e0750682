/**
 * A table of numbers for the report page, each cell shaded by its value. Every label (tokens,
 * values, direction names) is put in as text, never parsed as markup.
 */
const element = (tag: string, text?: string): HTMLElement => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  return e;
};

export const table = (
  title: string,
  rows: readonly string[],
  cols: readonly string[],
  value: (row: number, col: number) => number,
  scale: number,
): DocumentFragment => {
  const block = document.createDocumentFragment();
  block.appendChild(element('h4', title));
  const grid = element('table');
  grid.className = 'grid';
  const header = element('tr');
  header.appendChild(element('th'));
  for (const col of cols) header.appendChild(element('th', col));
  grid.appendChild(header);
  rows.forEach((r, a) => {
    const row = element('tr');
    row.appendChild(element('th', r));
    cols.forEach((_, b) => {
      const v = value(a, b);
      const alpha = Math.min(1, Math.abs(v) / scale);
      const cell = element('td', Math.abs(v) >= 0.005 ? v.toFixed(2) : '');
      cell.style.background = v >= 0 ? `rgba(200,30,30,${alpha})` : `rgba(30,60,200,${alpha})`;
      cell.title = v.toFixed(4);
      row.appendChild(cell);
    });
    grid.appendChild(row);
  });
  block.appendChild(grid);
  return block;
};
