// The app's data table: a scrollable region (keyboard-focusable, named by the table's caption or
// by the heading above it) holding a Utrecht table with one header row. The rows are the
// caller's children (tbody rows).
import type { ComponentChildren, Ref } from 'preact';

export interface DataTableProps {
  /** the region's name: the caption's id when there is a caption, else a heading's id */
  labelledBy: string;
  /** the caption (its id is labelledBy); none when a heading above names the table */
  caption?: ComponentChildren;
  /** the caption's classes: 'bs-caption' (shown), 'bs-visually-hidden', … */
  captionClass?: string;
  /** the table's classes; default 'utrecht-table bs-table' */
  class?: string;
  id?: string;
  testid?: string;
  /** the column headers */
  heads: ComponentChildren[];
  /** the columns (by index) whose header is right-aligned (bs-num) */
  numeric?: (i: number) => boolean;
  /** the visually hidden name of a last column of buttons; none without it */
  actions?: string;
  /** the wrapper's ref and test id (a page that scrolls it or measures it) */
  wrapRef?: Ref<HTMLDivElement>;
  wrapTestid?: string;
  /** the rows of a tfoot (a total); none without it */
  foot?: ComponentChildren;
  /** tbody aria-live (a table whose cells fill in later) */
  live?: boolean;
  children: ComponentChildren;
}

/** The data table (see the file's comment). */
export function DataTable(p: DataTableProps) {
  return (
    <div class="bs-table-wrap" tabIndex={0} role="region" aria-labelledby={p.labelledBy} ref={p.wrapRef} data-testid={p.wrapTestid}>
      <table class={p.class ?? 'utrecht-table bs-table'} id={p.id} data-testid={p.testid}>
        {p.caption !== undefined ? (
          <caption class={p.captionClass} id={p.labelledBy}>
            {p.caption}
          </caption>
        ) : null}
        <thead class="utrecht-table__header">
          <tr class="utrecht-table__row">
            {p.heads.map((h, i) => (
              <th class={`utrecht-table__header-cell${p.numeric?.(i) ? ' bs-num' : ''}`} scope="col" key={i}>
                {h}
              </th>
            ))}
            {p.actions !== undefined ? (
              <th class="utrecht-table__header-cell" scope="col">
                <span class="bs-visually-hidden">{p.actions}</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody class="utrecht-table__body" aria-live={p.live ? 'polite' : undefined}>
          {p.children}
        </tbody>
        {p.foot !== undefined ? <tfoot>{p.foot}</tfoot> : null}
      </table>
    </div>
  );
}
