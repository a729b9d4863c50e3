// Woningblokken on the project page (issue 18, item 5; docs/blocks.md): the project's blocks of
// homes as a table with a totals row, and — for callers with write access to the project — adding,
// changing and deleting a block. GET/POST /api/v1/projects/{id}/blocks, PATCH/DELETE
// …/blocks/{block_id}. Every rule is the server's (a koop class needs tenure koop, negative homes
// only in a correction block, the milestone must be one of the process): a refusal is shown at the
// field the problem document names, with the error summary taking the focus, as in every form.
// A block's plusvelden (the owner's fields on blocks; docs/homes-and-goals.md "Plusvelden"): its
// current values in a column of the list (`plusvelden` of each listed block, labelled by the
// definitions of GET …/blocks/{block_id}/plusvelden: retired fields are in neither), and for
// writers a per-block form (PlusveldenForm of ProjectPlusvelden.tsx, PATCH …/plusvelden).
import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, qs, type Page } from '../lib/api';
import { fmtNumber, lang, strings } from '../lib/i18n';
import { useSignal } from '../lib/signal';
import { ErrorSummary, Field, SubmitButton, useProblem, useSubmit } from '../components/form';
import { ConfirmBox } from '../components/confirm';
import { DataTable } from '../components/table';
import type { Step } from './projectTypes';
import type { PlusveldDef } from './AdminPlusvelden';
import { defLabel } from './AdminPlusvelden';
import { missingLabels, PlusveldenForm, shownValue, type PlusveldDoc, type Value } from './ProjectPlusvelden';

const S = strings({
  nl: {
    title: 'Woningblokken',
    intro: 'De woningen van het project in blokken: per soort, woningtype, eigendom en prijsklasse, opgeleverd met een mijlpaal van het proces.',
    loading: 'Laden…',
    none: 'Dit project heeft nog geen woningblokken.',
    errors: 'Er ging iets mis',
    homes: 'Woningen',
    kind: 'Soort',
    homeType: 'Woningtype',
    tenure: 'Eigendom',
    priceClass: 'Prijsklasse',
    targetGroup: 'Doelgroep',
    milestone: 'Mijlpaal',
    period: 'Periode',
    periodFrom: 'Periode van (jaar)',
    periodTo: 'Periode tot en met (jaar)',
    correction: 'Correctie',
    correctionLabel: 'Correctieblok (een negatief aantal woningen mag)',
    spread: 'Spreiding',
    spreadLegend: 'Spreiding over jaren',
    spreadHint: 'Leeg: het blok wordt opgeleverd met zijn mijlpaal. Anders: per jaar een percentage van de woningen; samen 100%.',
    spreadYear: (i: number) => `Jaar ${i}`,
    spreadPercent: (i: number) => `Percentage ${i}`,
    spreadAdd: 'Jaar toevoegen',
    spreadRemove: (i: number) => `Verwijder jaar ${i} van de spreiding`,
    remove: 'Verwijderen',
    net: 'Netto woningen',
    total: 'Totaal',
    actions: 'Acties',
    yes: 'ja',
    no: 'nee',
    imported: 'geïmporteerd',
    add: 'Blok toevoegen',
    addTitle: 'Nieuw woningblok',
    editTitle: 'Woningblok wijzigen',
    edit: 'Wijzigen',
    editOf: (d: string) => `Wijzig blok: ${d}`,
    del: 'Verwijderen',
    delOf: (d: string) => `Verwijder blok: ${d}`,
    confirmTitle: 'Blok verwijderen?',
    confirmText: (d: string) => `Het blok (${d}) wordt verwijderd. De wijziging staat in de audit van het project.`,
    confirmYes: 'Ja, verwijderen',
    cancel: 'Annuleren',
    save: 'Blok opslaan',
    busy: 'Bezig…',
    homesHint: 'Een heel getal, niet 0.',
    yearHint: 'Vier cijfers; leeg: onbekend.',
    targetHint: 'Bijvoorbeeld starters of senioren; leeg: geen.',
    added: 'Het blok is toegevoegd.',
    changed: 'Het blok is gewijzigd.',
    deleted: 'Het blok is verwijderd.',
    pv: 'Plusvelden',
    pvEdit: 'Plusvelden wijzigen',
    pvNone: 'niet ingevuld',
    pvOf: (d: string) => `Plusvelden van blok wijzigen: ${d}`,
    pvTitle: (d: string) => `Plusvelden van het blok (${d})`,
    pvSave: 'Plusvelden opslaan',
    pvSaved: 'De plusvelden van het blok zijn opgeslagen.',
    pvMissing: (l: string) => `Verplicht en nog niet ingevuld: ${l}.`,
    kinds: { nieuwbouw: 'nieuwbouw', transformatie: 'transformatie', sloop: 'sloop' } as Record<string, string>,
    homeTypes: { grondgebonden: 'grondgebonden', meergezins: 'meergezins', onbekend: 'onbekend' } as Record<string, string>,
    tenures: { huur: 'huur', koop: 'koop', onbekend: 'onbekend' } as Record<string, string>,
    priceClasses: {
      onbekend: 'onbekend',
      koop1: 'koop, klasse 1',
      koop2: 'koop, klasse 2',
      koop3: 'koop, klasse 3',
      koop4: 'koop, klasse 4',
      koop_onb: 'koop, klasse onbekend',
      huur1: 'huur, klasse 1',
      huur2: 'huur, klasse 2',
      huur3: 'huur, klasse 3',
      huur4: 'huur, klasse 4',
      huur_onb: 'huur, klasse onbekend',
    } as Record<string, string>,
  },
  en: {
    title: 'Blocks of homes',
    intro: 'The project’s homes in blocks: by kind, home type, tenure and price class, delivered with a milestone of the process.',
    loading: 'Loading…',
    none: 'This project has no blocks of homes yet.',
    errors: 'Something went wrong',
    homes: 'Homes',
    kind: 'Kind',
    homeType: 'Home type',
    tenure: 'Tenure',
    priceClass: 'Price class',
    targetGroup: 'Target group',
    milestone: 'Milestone',
    period: 'Period',
    periodFrom: 'Period from (year)',
    periodTo: 'Period through (year)',
    correction: 'Correction',
    correctionLabel: 'Correction block (a negative number of homes is allowed)',
    spread: 'Spread',
    spreadLegend: 'Spread over years',
    spreadHint: 'Empty: the block is delivered with its milestone. Otherwise: per year a percentage of the homes; 100% together.',
    spreadYear: (i: number) => `Year ${i}`,
    spreadPercent: (i: number) => `Percentage ${i}`,
    spreadAdd: 'Add a year',
    spreadRemove: (i: number) => `Remove year ${i} of the spread`,
    remove: 'Remove',
    net: 'Net homes',
    total: 'Total',
    actions: 'Actions',
    yes: 'yes',
    no: 'no',
    imported: 'imported',
    add: 'Add a block',
    addTitle: 'New block of homes',
    editTitle: 'Change the block of homes',
    edit: 'Change',
    editOf: (d: string) => `Change block: ${d}`,
    del: 'Delete',
    delOf: (d: string) => `Delete block: ${d}`,
    confirmTitle: 'Delete the block?',
    confirmText: (d: string) => `The block (${d}) will be deleted. The change is kept in the project's audit trail.`,
    confirmYes: 'Yes, delete',
    cancel: 'Cancel',
    save: 'Save the block',
    busy: 'Busy…',
    homesHint: 'A whole number, not 0.',
    yearHint: 'Four digits; empty: unknown.',
    targetHint: 'For example starters or seniors; empty: none.',
    added: 'The block has been added.',
    changed: 'The block has been changed.',
    deleted: 'The block has been deleted.',
    pv: 'Plusvelden',
    pvEdit: 'Change plusvelden',
    pvNone: 'not filled in',
    pvOf: (d: string) => `Change plusvelden of block: ${d}`,
    pvTitle: (d: string) => `Plusvelden of the block (${d})`,
    pvSave: 'Save plusvelden',
    pvSaved: 'The block\'s plusvelden have been saved.',
    pvMissing: (l: string) => `Required and not yet filled in: ${l}.`,
    kinds: { nieuwbouw: 'new build', transformatie: 'transformation', sloop: 'demolition' } as Record<string, string>,
    homeTypes: { grondgebonden: 'ground-level', meergezins: 'multi-family', onbekend: 'unknown' } as Record<string, string>,
    tenures: { huur: 'rent', koop: 'owner-occupied', onbekend: 'unknown' } as Record<string, string>,
    priceClasses: {
      onbekend: 'unknown',
      koop1: 'owner-occupied, class 1',
      koop2: 'owner-occupied, class 2',
      koop3: 'owner-occupied, class 3',
      koop4: 'owner-occupied, class 4',
      koop_onb: 'owner-occupied, class unknown',
      huur1: 'rent, class 1',
      huur2: 'rent, class 2',
      huur3: 'rent, class 3',
      huur4: 'rent, class 4',
      huur_onb: 'rent, class unknown',
    } as Record<string, string>,
  },
});

/** A block as the API shows it (docs/blocks.md). */
export interface Block {
  id: string;
  homes: number;
  net_homes: number;
  kind: string;
  home_type: string;
  tenure: string;
  price_class: string;
  target_group: string | null;
  milestone: string;
  period_from: number | null;
  period_to: number | null;
  correction: boolean;
  /** the delivery spread over years by percentages (docs/blocks.md "Spread over years"); null: with the milestone */
  spread: { year: number; percent: number }[] | null;
  imported: boolean;
  /** the block's current plusveld values, key → value (no retired field, no cleared value) */
  plusvelden?: Record<string, Value>;
}

/** One row of the spread in the form, as typed. */
interface SpreadRow {
  year: string;
  percent: string;
}

/** The form's text of each member (what the user typed, sent as typed when it is no number). */
interface Draft {
  homes: string;
  kind: string;
  home_type: string;
  tenure: string;
  price_class: string;
  target_group: string;
  milestone: string;
  period_from: string;
  period_to: string;
  correction: boolean;
  spread: SpreadRow[];
}

const EMPTY: Draft = {
  homes: '',
  kind: 'nieuwbouw',
  home_type: 'onbekend',
  tenure: 'onbekend',
  price_class: 'onbekend',
  target_group: '',
  milestone: 'laatste_oplevering',
  period_from: '',
  period_to: '',
  correction: false,
  spread: [],
};

// API member → control id, for the messages of the problem document; the spread's rows are
// added per form (spreadIds)
const IDS: Record<string, string> = {
  homes: 'blk-homes',
  kind: 'blk-kind',
  home_type: 'blk-home-type',
  tenure: 'blk-tenure',
  price_class: 'blk-price',
  target_group: 'blk-target',
  milestone: 'blk-milestone',
  period_from: 'blk-from',
  period_to: 'blk-to',
  correction: 'blk-correction',
  spread: 'blk-spread',
};

/** IDS with the controls of n spread rows: spread[i] and spread[i].year at the row's year,
 * spread[i].percent at its percentage. */
function spreadIds(n: number): Record<string, string> {
  const out = { ...IDS };
  for (let i = 0; i < n; i++) {
    out[`spread[${i}]`] = `blk-spread-${i}-year`;
    out[`spread[${i}].year`] = `blk-spread-${i}-year`;
    out[`spread[${i}].percent`] = `blk-spread-${i}-percent`;
  }
  return out;
}


function draftOf(b: Block): Draft {
  return {
    homes: String(b.homes),
    kind: b.kind,
    home_type: b.home_type,
    tenure: b.tenure,
    price_class: b.price_class,
    target_group: b.target_group ?? '',
    milestone: b.milestone,
    period_from: b.period_from === null ? '' : String(b.period_from),
    period_to: b.period_to === null ? '' : String(b.period_to),
    correction: b.correction,
    spread: (b.spread ?? []).map((e) => ({ year: String(e.year), percent: String(e.percent) })),
  };
}

/** A whole number as a number; anything else as typed, for the server to name what is wrong. */
const num = (t: string) => (/^\s*-?\d+\s*$/.test(t) ? Number(t) : t);

/** The body of a POST or PATCH: every member; an empty optional one is null (cleared). */
function bodyOf(d: Draft): Record<string, unknown> {
  return {
    homes: num(d.homes),
    kind: d.kind,
    home_type: d.home_type,
    tenure: d.tenure,
    price_class: d.price_class,
    target_group: d.target_group.trim() ? d.target_group.trim() : null,
    milestone: d.milestone,
    period_from: d.period_from.trim() ? num(d.period_from) : null,
    period_to: d.period_to.trim() ? num(d.period_to) : null,
    correction: d.correction,
    spread: d.spread.length ? d.spread.map((r) => ({ year: num(r.year), percent: num(r.percent) })) : null,
  };
}

function periodText(b: Block): string {
  if (b.period_from === null && b.period_to === null) return '—';
  if (b.period_from === b.period_to) return String(b.period_from);
  return `${b.period_from ?? '…'}–${b.period_to ?? '…'}`;
}

/** Every block of the project (all pages: 500 a page is the API's maximum). */
async function loadBlocks(project: string): Promise<Block[]> {
  const out: Block[] = [];
  for (let page = 1; ; page++) {
    const r = await api<Page<Block>>('GET', `/api/v1/projects/${encodeURIComponent(project)}/blocks${qs({ page, page_size: 500 })}`);
    out.push(...r.results);
    if (!r.next || !r.results.length) return out;
  }
}

/** The block plusveld definitions of the project's owner (the form of GET
 * …/blocks/{block_id}/plusvelden of any block: the same for all; active ones only). [] when the
 * project has no blocks or the owner no block fields. */
async function loadBlockDefs(project: string, blocks: Block[]): Promise<PlusveldDef[]> {
  if (!blocks.length) return [];
  const d = await api<PlusveldDoc>('GET', `/api/v1/projects/${encodeURIComponent(project)}/blocks/${encodeURIComponent(blocks[0].id)}/plusvelden`);
  return d.definitions;
}

/** A block's values as "label: value" items (one line, wrapping), in the definitions' order (a key without a
 * definition, which the API does not list, by its key). */
function BlockValues({ block, defs }: { block: Block; defs: PlusveldDef[] }) {
  const vals = block.plusvelden ?? {};
  const keys = [...defs.map((d) => d.key).filter((k) => k in vals), ...Object.keys(vals).filter((k) => !defs.some((d) => d.key === k))];
  if (!keys.length) return <span class="bs-muted bs-blk-pv">{S().pvNone}</span>;
  return (
    <ul class="bs-blk-pv">
      {keys.map((k) => {
        const d = defs.find((x) => x.key === k);
        return (
          <li key={k} data-key={k}>
            <span class="bs-blk-pv-label">{d ? defLabel(d) : k}:</span> {d ? shownValue(d, vals[k]) : String(vals[k])}
          </li>
        );
      })}
    </ul>
  );
}

/** The blocks section of the project page. writable: the caller has write access to the
 * project (lead or write); steps: the plan's steps (the milestones are the form's choices). */
export function ProjectBlocks({ project, writable, steps }: { project: string; writable: boolean; steps: Step[] }) {
  useSignal(lang);
  const s = S();
  const [blocks, setBlocks] = useState<Block[] | null>(null);
  const [err, setErr] = useState('');
  const [version, setVersion] = useState(0);
  const [notice, setNotice] = useState('');
  // the form: null closed, 'new', or the id of the block being changed
  const [editing, setEditing] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<Block | null>(null);
  // the block plusveld definitions (null: not read yet) and the block whose values are edited
  const [defs, setDefs] = useState<PlusveldDef[] | null>(null);
  const [pvFor, setPvFor] = useState<string | null>(null);
  const wrap = useRef<HTMLDivElement>(null);
  // where the focus goes after the next render: the table after a save or a delete (the control
  // the user was in is gone), the add button after a cancel
  const refocus = useRef<'' | 'table' | 'add'>('');
  useEffect(() => {
    let live = true;
    loadBlocks(project)
      .then(async (b) => {
        // the labels before the list, so the column does not appear a moment later
        const d = await loadBlockDefs(project, b).catch(() => [] as PlusveldDef[]);
        if (live) (setDefs(d), setBlocks(b));
      })
      .catch((e) => live && setErr(e instanceof ApiError ? e.problem.detail ?? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [project, version]);
  useLayoutEffect(() => {
    if (!refocus.current || !blocks) return;
    const to = refocus.current === 'table' ? wrap.current ?? document.getElementById('blk-add') : document.getElementById('blk-add');
    refocus.current = '';
    to?.focus();
  }, [blocks, editing, confirm, pvFor]);
  const milestones = steps.filter((st) => st.milestone);
  const msName = (key: string) => milestones.find((m) => m.key === key)?.name ?? key;
  const describe = (b: Block) => `${fmtNumber(b.homes)} ${s.homes.toLowerCase()}, ${s.kinds[b.kind] ?? b.kind}, ${s.homeTypes[b.home_type] ?? b.home_type}, ${s.tenures[b.tenure] ?? b.tenure}`;
  const done = (msg: string) => {
    setEditing(null);
    setConfirm(null);
    setPvFor(null);
    setNotice(msg);
    refocus.current = 'table';
    setVersion((v) => v + 1);
  };
  // the plusvelden column: when the owner has block fields or a block has a value
  const hasPv = !!defs?.length || !!blocks?.some((b) => Object.keys(b.plusvelden ?? {}).length);
  const heads = [s.homes, s.kind, s.homeType, s.tenure, s.priceClass, s.targetGroup, s.milestone, s.period, s.spread, s.correction, s.net];
  const editBlock = editing && editing !== 'new' ? blocks?.find((b) => b.id === editing) : undefined;
  const pvBlock = pvFor ? blocks?.find((b) => b.id === pvFor) : undefined;
  return (
    <section class="bs-blocks" aria-labelledby="bs-blocks-title" data-testid="blocks">
      <h2 class="utrecht-heading-2" id="bs-blocks-title">
        {s.title}
      </h2>
      <p class="utrecht-paragraph bs-muted">{s.intro}</p>
      {err ? (
        <p class="utrecht-paragraph bs-field-error" role="alert">
          {err}
        </p>
      ) : null}
      {/* a live region that is always there (not role=status: the page's own status region is the
          one the step forms announce in), so a change of its text is announced */}
      <div aria-live="polite" data-testid="blocks-notice">
        {notice ? <p class="utrecht-paragraph bs-notice">{notice}</p> : null}
      </div>
      {blocks === null ? (
        err ? null : <p>{s.loading}</p>
      ) : blocks.length ? (
        <DataTable
          labelledBy="bs-blocks-caption"
          caption={s.title}
          captionClass="bs-visually-hidden"
          wrapRef={wrap}
          wrapTestid="blocks-wrap"
          class="utrecht-table bs-table bs-blocks-table"
          testid="blocks-table"
          heads={heads}
          numeric={(i) => i === 0 || i === heads.length - 1}
          actions={writable ? s.actions : undefined}
          foot={
            <tr class="utrecht-table__row bs-total-row" data-testid="blocks-total">
              <td class="utrecht-table__cell bs-num" data-col="homes">
                {fmtNumber(blocks.reduce((k, b) => k + b.homes, 0))}
              </td>
              <th class="utrecht-table__header-cell" scope="row" colSpan={9}>
                {s.total}
              </th>
              <td class="utrecht-table__cell bs-num" data-col="net_homes">
                {fmtNumber(blocks.reduce((k, b) => k + b.net_homes, 0))}
              </td>
              {writable ? <td class="utrecht-table__cell" /> : null}
            </tr>
          }
        >
          {blocks.map((b) => (
            <Fragment key={b.id}>
              <tr class={`utrecht-table__row${b.correction ? ' bs-row-correction' : ''}${hasPv ? ' bs-blk-has-pv' : ''}`} data-id={b.id}>
                <td class="utrecht-table__cell bs-num" data-col="homes">
                  {fmtNumber(b.homes)}
                </td>
                <td class="utrecht-table__cell" data-col="kind" data-value={b.kind}>
                  {s.kinds[b.kind] ?? b.kind}
                </td>
                <td class="utrecht-table__cell" data-col="home_type" data-value={b.home_type}>
                  {s.homeTypes[b.home_type] ?? b.home_type}
                </td>
                <td class="utrecht-table__cell" data-col="tenure" data-value={b.tenure}>
                  {s.tenures[b.tenure] ?? b.tenure}
                </td>
                <td class="utrecht-table__cell" data-col="price_class" data-value={b.price_class}>
                  {s.priceClasses[b.price_class] ?? b.price_class}
                </td>
                <td class="utrecht-table__cell" data-col="target_group">
                  {b.target_group ?? '—'}
                </td>
                <td class="utrecht-table__cell" data-col="milestone" data-value={b.milestone}>
                  {msName(b.milestone)}
                </td>
                <td class="utrecht-table__cell" data-col="period">
                  {periodText(b)}
                </td>
                <td class="utrecht-table__cell" data-col="spread">
                  {b.spread?.length
                    ? b.spread.map((e, i) => (
                        <Fragment key={i}>
                          {i ? ' ' : ''}
                          <span>{`${e.year} ${e.percent}%${i < (b.spread?.length ?? 0) - 1 ? ' ·' : ''}`}</span>
                        </Fragment>
                      ))
                    : '—'}
                </td>
                <td class="utrecht-table__cell" data-col="correction">
                  {b.correction ? s.yes : s.no}
                </td>
                <td class="utrecht-table__cell bs-num" data-col="net_homes">
                  {fmtNumber(b.net_homes)}
                </td>
                {writable ? (
                  <td class="utrecht-table__cell bs-blocks-actions">
                    <button type="button" class="utrecht-button utrecht-button--secondary-action bs-link-button bs-blk-edit" aria-label={s.editOf(describe(b))} onClick={() => (setConfirm(null), setPvFor(null), setNotice(''), setEditing(b.id))}>
                      {s.edit}
                    </button>
                    <button type="button" class="utrecht-button utrecht-button--secondary-action bs-link-button bs-blk-delete" aria-label={s.delOf(describe(b))} onClick={() => (setEditing(null), setPvFor(null), setNotice(''), setConfirm(b))}>
                      {s.del}
                    </button>
                  </td>
                ) : null}
              </tr>
              {/* the block's plusvelden under its row, across the table (a column would push the
                  actions off a 1366-wide window) */}
              {hasPv ? (
                <tr class="utrecht-table__row bs-blk-pv-row" data-pv-for={b.id}>
                  <td class="utrecht-table__cell" data-col="plusvelden" colSpan={heads.length + (writable ? 1 : 0)}>
                    <span class="bs-blk-pv-head">{s.pv}:</span> <BlockValues block={b} defs={defs ?? []} />
                    {writable && defs?.length ? (
                      <button type="button" class="utrecht-button utrecht-button--secondary-action bs-link-button bs-blk-pv" aria-label={s.pvOf(describe(b))} onClick={() => (setConfirm(null), setEditing(null), setNotice(''), setPvFor(b.id))}>
                        {s.pvEdit}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </DataTable>
      ) : (
        <p class="utrecht-paragraph" data-testid="blocks-none">
          {s.none}
        </p>
      )}
      {confirm ? <ConfirmDelete project={project} block={confirm} text={s.confirmText(describe(confirm))} onDone={() => done(s.deleted)} onCancel={() => ((refocus.current = 'add'), setConfirm(null))} /> : null}
      {writable && !(editing === 'new' || editBlock || pvBlock) ? (
        <button type="button" id="blk-add" class="utrecht-button utrecht-button--secondary-action bs-blk-add" onClick={() => (setConfirm(null), setNotice(''), setEditing('new'))}>
          {s.add}
        </button>
      ) : null}
      {writable && editing && (editing === 'new' || editBlock) ? (
        <BlockForm
          key={editing}
          project={project}
          block={editBlock}
          milestones={milestones}
          onSaved={() => done(editBlock ? s.changed : s.added)}
          onCancel={() => {
            refocus.current = 'add';
            setEditing(null);
          }}
        />
      ) : null}
      {writable && pvBlock ? (
        <BlockPlusvelden
          key={pvBlock.id}
          project={project}
          block={pvBlock}
          title={s.pvTitle(describe(pvBlock))}
          steps={steps}
          onSaved={() => done(s.pvSaved)}
          onCancel={() => {
            refocus.current = 'add';
            setPvFor(null);
          }}
        />
      ) : null}
    </section>
  );
}

/** A block's plusvelden form: its document read (values, active definitions, the required
 * check as the server answers it), then PlusveldenForm on …/blocks/{block_id}/plusvelden with
 * the controls `bpv-<key>`; the focus on its heading when it opens. */
function BlockPlusvelden({ project, block, title, steps, onSaved, onCancel }: { project: string; block: Block; title: string; steps: Step[]; onSaved: () => void; onCancel: () => void }) {
  const s = S();
  const path = `/api/v1/projects/${encodeURIComponent(project)}/blocks/${encodeURIComponent(block.id)}/plusvelden`;
  const [doc, setDoc] = useState<PlusveldDoc | null>(null);
  const [err, setErr] = useState('');
  useEffect(() => {
    api<PlusveldDoc>('GET', path)
      .then(setDoc)
      .catch((e) => setErr(e instanceof ApiError ? e.problem.detail ?? e.message : String(e)));
  }, [path]);
  // a required_from_step is any step of the process, not only a milestone
  const stepName = (k: string) => steps.find((st) => st.key === k)?.name ?? k.replace(/_/g, ' ');
  const missing = doc ? missingLabels(doc) : [];
  return (
    <div class="bs-block-pv" data-testid="block-pv">
      {err ? (
        <p class="utrecht-paragraph bs-field-error" role="alert">
          {err}
        </p>
      ) : null}
      {!doc && !err ? <p>{s.loading}</p> : null}
      {doc ? (
        <PlusveldenForm
          path={path}
          doc={doc}
          prefix="bpv"
          titleId="bpv-form-title"
          title={title}
          saveLabel={s.pvSave}
          focusOnMount
          stepName={stepName}
          missing={missing.length ? s.pvMissing(missing.join(', ')) : ''}
          onSaved={onSaved}
          onCancel={onCancel}
        />
      ) : null}
    </div>
  );
}

function ConfirmDelete({ project, block, text, onDone, onCancel }: { project: string; block: Block; text: string; onDone: () => void; onCancel: () => void }) {
  const s = S();
  return (
    <ConfirmBox
      role="alertdialog"
      class="bs-erase-confirm"
      testid="blocks-confirm"
      heading="h3"
      titleId="blk-confirm-title"
      textId="blk-confirm-text"
      title={s.confirmTitle}
      text={text}
      focus="box"
      yes={s.confirmYes}
      yesClass="bs-blk-confirm"
      cancel={s.cancel}
      onCancel={onCancel}
      onConfirm={async () => {
        await api('DELETE', `/api/v1/projects/${encodeURIComponent(project)}/blocks/${encodeURIComponent(block.id)}`);
        onDone();
      }}
    />
  );
}

function BlockForm({ project, block, milestones, onSaved, onCancel }: { project: string; block?: Block; milestones: Step[]; onSaved: () => void; onCancel: () => void }) {
  const s = S();
  const f = useProblem();
  const [d, setD] = useState<Draft>(block ? draftOf(block) : EMPTY);
  const sub = useSubmit(
    f,
    async () => {
      const base = `/api/v1/projects/${encodeURIComponent(project)}/blocks`;
      if (block) await api('PATCH', `${base}/${encodeURIComponent(block.id)}`, bodyOf(d));
      else await api('POST', base, bodyOf(d));
      onSaved();
    },
    spreadIds(d.spread.length),
  );
  const first = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => first.current?.focus(), []);
  // after adding a spread row the focus goes to its year, after removing one to the add button
  const spreadFocus = useRef('');
  useLayoutEffect(() => {
    if (!spreadFocus.current) return;
    document.getElementById(spreadFocus.current)?.focus();
    spreadFocus.current = '';
  }, [d.spread.length]);
  const setRow = (i: number, k: keyof SpreadRow) => (v: string) => setD((x) => ({ ...x, spread: x.spread.map((r, j) => (j === i ? { ...r, [k]: v } : r)) }));
  const spreadErr = f.at('spread');
  const set = (k: keyof Draft) => (v: string) => setD((x) => ({ ...x, [k]: v }));
  const opts = (m: Record<string, string>) => Object.entries(m);
  // the block's milestone stays a choice even when the plan does not show it
  const ms: [string, string][] = milestones.map((m) => [m.key, m.name]);
  if (!ms.some(([k]) => k === d.milestone)) ms.push([d.milestone, d.milestone]);
  return (
    <form
      class="bs-rule bs-block-form"
      noValidate
      aria-labelledby="blk-form-title"
      data-testid="block-form"
      onSubmit={sub.onSubmit}
    >
      <h3 class="utrecht-heading-3" id="blk-form-title">
        {block ? s.editTitle : s.addTitle}
      </h3>
      <ErrorSummary errors={f.errors} title={s.errors} />
      <div class="bs-block-grid">
        <Field id="blk-homes" class="bs-field-short" label={s.homes} hint={s.homesHint} value={d.homes} onValue={set('homes')} error={f.at('homes')} inputMode="numeric" autoComplete="off" inputRef={first} />
        <Field id="blk-kind" as="select" label={s.kind} value={d.kind} onValue={set('kind')} error={f.at('kind')} options={opts(s.kinds)} />
        <Field id="blk-home-type" as="select" label={s.homeType} value={d.home_type} onValue={set('home_type')} error={f.at('home_type')} options={opts(s.homeTypes)} />
        <Field id="blk-tenure" as="select" label={s.tenure} value={d.tenure} onValue={set('tenure')} error={f.at('tenure')} options={opts(s.tenures)} />
        <Field id="blk-price" as="select" label={s.priceClass} value={d.price_class} onValue={set('price_class')} error={f.at('price_class')} options={opts(s.priceClasses)} />
        <Field id="blk-target" label={s.targetGroup} hint={s.targetHint} value={d.target_group} onValue={set('target_group')} error={f.at('target_group')} autoComplete="off" />
        <Field id="blk-milestone" as="select" label={s.milestone} value={d.milestone} onValue={set('milestone')} error={f.at('milestone')} options={ms} />
        <Field id="blk-from" class="bs-field-short" label={s.periodFrom} hint={s.yearHint} value={d.period_from} onValue={set('period_from')} error={f.at('period_from')} inputMode="numeric" autoComplete="off" />
        <Field id="blk-to" class="bs-field-short" label={s.periodTo} hint={s.yearHint} value={d.period_to} onValue={set('period_to')} error={f.at('period_to')} inputMode="numeric" autoComplete="off" />
      </div>
      <div class={`utrecht-form-field utrecht-form-field--checkbox bs-check${f.at('correction') ? ' utrecht-form-field--invalid' : ''}`}>
        {f.at('correction') ? (
          <div class="utrecht-form-field-error-message bs-field-error" id="blk-correction-error">
            {f.at('correction')}
          </div>
        ) : null}
        <input
          type="checkbox"
          id="blk-correction"
          class="utrecht-checkbox utrecht-checkbox--html-input"
          checked={d.correction}
          aria-invalid={f.at('correction') ? 'true' : undefined}
          aria-describedby={f.at('correction') ? 'blk-correction-error' : undefined}
          onChange={(e) => setD((x) => ({ ...x, correction: (e.currentTarget as HTMLInputElement).checked }))}
        />{' '}
        <label class="utrecht-form-label utrecht-form-label--checkbox" for="blk-correction">
          {s.correctionLabel}
        </label>
      </div>
      <fieldset class="bs-spread" id="blk-spread" tabIndex={-1} aria-describedby={`blk-spread-hint${spreadErr ? ' blk-spread-error' : ''}`} data-testid="block-spread">
        <legend class="utrecht-form-label">{s.spreadLegend}</legend>
        <p class="utrecht-form-field-description bs-muted" id="blk-spread-hint">
          {s.spreadHint}
        </p>
        {spreadErr ? (
          <p class="utrecht-form-field-error-message bs-field-error" id="blk-spread-error">
            {spreadErr}
          </p>
        ) : null}
        {d.spread.map((r, i) => (
          <div class="bs-spread-row" key={i} data-row={i}>
            <Field id={`blk-spread-${i}-year`} class="bs-field-short" label={s.spreadYear(i + 1)} value={r.year} onValue={setRow(i, 'year')} error={f.at(`spread[${i}]`) ?? f.at(`spread[${i}].year`)} inputMode="numeric" autoComplete="off" />
            <Field id={`blk-spread-${i}-percent`} class="bs-field-short" label={s.spreadPercent(i + 1)} value={r.percent} onValue={setRow(i, 'percent')} error={f.at(`spread[${i}].percent`)} inputMode="numeric" autoComplete="off" />
            <button
              type="button"
              class="utrecht-button utrecht-button--secondary-action bs-link-button bs-spread-remove"
              aria-label={s.spreadRemove(i + 1)}
              onClick={() => {
                spreadFocus.current = 'blk-spread-add';
                setD((x) => ({ ...x, spread: x.spread.filter((_, j) => j !== i) }));
              }}
            >
              {s.remove}
            </button>
          </div>
        ))}
        <button
          type="button"
          id="blk-spread-add"
          class="utrecht-button utrecht-button--secondary-action bs-spread-add"
          onClick={() => {
            spreadFocus.current = `blk-spread-${d.spread.length}-year`;
            setD((x) => ({ ...x, spread: [...x.spread, { year: '', percent: '' }] }));
          }}
        >
          {s.spreadAdd}
        </button>
      </fieldset>
      <div class="utrecht-button-group bs-block-buttons">
        <SubmitButton busy={sub.busy} busyLabel={s.busy}>
          {s.save}
        </SubmitButton>
        <button type="button" class="utrecht-button utrecht-button--secondary-action bs-blk-cancel" onClick={onCancel}>
          {s.cancel}
        </button>
      </div>
    </form>
  );
}
