// The pager under a paged list (the API's `next`/`previous`, docs/api.md "Paging"): previous,
// "first–last of count", next. Renders nothing when the list fits on one page.
import { lang, strings } from '../lib/i18n';
import { useSignal } from '../lib/signal';

const S = strings({
  nl: { pages: 'Paginering', prev: 'Vorige', next: 'Volgende', of: 'van' },
  en: { pages: 'Pagination', prev: 'Previous', next: 'Next', of: 'of' },
});

/** page (1-based) of size rows out of count; hasPrev/hasNext from the answer's previous/next. */
export function Pager({ page, size, count, hasPrev, hasNext, onPage }: { page: number; size: number; count: number; hasPrev: boolean; hasNext: boolean; onPage: (p: number) => void }) {
  useSignal(lang);
  const s = S();
  if (count <= size) return null;
  return (
    <nav class="bs-pager" aria-label={s.pages}>
      <button type="button" class="utrecht-button utrecht-button--secondary-action" disabled={!hasPrev} onClick={() => onPage(page - 1)}>
        {s.prev}
      </button>
      <span>{`${(page - 1) * size + 1}–${Math.min(page * size, count)} ${s.of} ${count}`}</span>
      <button type="button" class="utrecht-button utrecht-button--secondary-action" disabled={!hasNext} onClick={() => onPage(page + 1)}>
        {s.next}
      </button>
    </nav>
  );
}
