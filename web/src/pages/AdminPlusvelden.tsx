// Plusveld definitions of an organisation (part of /admin, for its beheerders and administrators of
// the installation; docs/homes-and-goals.md "Plusvelden"): the list of its own fields (the active
// ones; the retired ones too on a toggle, marked retired), adding and changing a field with every
// member (key, labels nl/en, type, applies_to, required always or from a step, min/max,
// categories, pattern, public), and retiring or deleting one after a confirmation that says what
// happens. GET/POST /api/v1/organisations/{id}/plusvelden?retired=, PATCH/DELETE …/{key}. Every
// rule is the server's: a refusal (a pattern that does not compile, with PCRE2's message and offset)
// is shown at the field the problem document names.
import './goals.css';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, qs, type Page } from '../lib/api';
import { fmtNumber, lang, strings } from '../lib/i18n';
import { ErrorSummary, Field, SubmitButton, useProblem, useSubmit } from '../components/form';
import { ConfirmBox } from '../components/confirm';
import { DataTable } from '../components/table';

export interface PlusveldDef {
  key: string;
  applies_to: 'project' | 'block';
  label: { nl: string; en: string };
  type: string;
  required: boolean;
  required_from_step: string | null;
  min: number | null;
  max: number | null;
  categories: string[] | null;
  pattern: string | null;
  public: boolean;
  version: number;
  retired: boolean;
}

const TYPES = ['text', 'integer', 'decimal', 'date', 'boolean', 'category', 'multi_category'] as const;

const S = strings({
  nl: {
    title: 'Plusvelden',
    intro: 'Eigen velden van de organisatie op haar projecten en woningblokken, met eigen kwaliteitsregels. Sleutel, type en soort liggen vast zodra een veld bestaat.',
    loading: 'Laden…',
    errors: 'Er ging iets mis',
    showRetired: 'Ook ingetrokken velden tonen',
    none: 'Deze organisatie heeft nog geen plusvelden.',
    key: 'Sleutel',
    keyHint: 'Kleine letters, cijfers en _ (hoogstens 50 tekens); ligt daarna vast en wordt nooit hergebruikt.',
    labelNl: 'Naam (Nederlands)',
    labelEn: 'Naam (Engels)',
    label: 'Naam',
    type: 'Type',
    types: { text: 'tekst', integer: 'geheel getal', decimal: 'decimaal getal', date: 'datum', boolean: 'ja/nee', category: 'categorie', multi_category: 'meerdere categorieën' } as Record<string, string>,
    appliesTo: 'Geldt voor',
    kinds: { project: 'project', block: 'woningblok' } as Record<string, string>,
    required: 'Verplicht',
    requiredOpts: { no: 'nee', always: 'altijd', step: 'vanaf een processtap' } as Record<string, string>,
    step: 'Verplicht zodra deze stap is afgerond',
    min: 'Minimum',
    max: 'Maximum',
    minMaxHint: 'Bij een getal de waarde, bij tekst het aantal tekens. Leeg: geen grens.',
    categories: 'Categorieën',
    categoriesHint: 'Eén per regel.',
    pattern: 'Patroon (PCRE2)',
    patternHint: 'De hele waarde moet erop passen, bijvoorbeeld [A-Z]{2}-\\d{4}. Leeg: geen patroon.',
    public: 'Openbaar: hoort bij de openbare gegevens van een openbaar project',
    rules: 'Regels',
    status: 'Status',
    active: 'actief',
    retired: 'ingetrokken',
    yes: 'ja',
    no: 'nee',
    actions: 'Acties',
    add: 'Veld toevoegen',
    addTitle: 'Nieuw plusveld',
    edit: 'Wijzigen',
    editOf: (n: string) => `${n} wijzigen`,
    editTitle: (n: string) => `Plusveld ${n} wijzigen`,
    save: 'Opslaan',
    cancel: 'Annuleren',
    retire: 'Intrekken',
    retireOf: (n: string) => `${n} intrekken`,
    confirmTitle: (n: string) => `Plusveld ${n} intrekken?`,
    confirmText:
      'Heeft het veld al een waarde gehad, dan wordt het ingetrokken: het staat daarna nooit meer in formulieren, exports en de verplichtcontrole, en de waarden blijven bewaard in de geschiedenis van de projecten. Heeft het nooit een waarde gehad, dan wordt het verwijderd. De sleutel wordt nooit opnieuw gebruikt.',
    confirm: 'Ja, intrekken',
    saved: (n: string) => `Plusveld ${n} is opgeslagen.`,
    retiredDone: (n: string) => `Plusveld ${n} is ingetrokken; de waarden blijven in de geschiedenis.`,
    deletedDone: (n: string) => `Plusveld ${n} had nooit een waarde en is verwijderd.`,
    fromStep: (s: string) => `vanaf ${s}`,
    none_: '—',
  },
  en: {
    title: 'Plusvelden (own fields)',
    intro: 'The organisation\'s own fields on its projects and blocks of homes, with its own quality rules. Key, type and kind are fixed once a field exists.',
    loading: 'Loading…',
    errors: 'Something went wrong',
    showRetired: 'Also show retired fields',
    none: 'This organisation has no plusvelden yet.',
    key: 'Key',
    keyHint: 'Lower-case letters, digits and _ (at most 50 characters); fixed afterwards and never reused.',
    labelNl: 'Name (Dutch)',
    labelEn: 'Name (English)',
    label: 'Name',
    type: 'Type',
    types: { text: 'text', integer: 'whole number', decimal: 'decimal number', date: 'date', boolean: 'yes/no', category: 'category', multi_category: 'several categories' } as Record<string, string>,
    appliesTo: 'Applies to',
    kinds: { project: 'project', block: 'block of homes' } as Record<string, string>,
    required: 'Required',
    requiredOpts: { no: 'no', always: 'always', step: 'from a process step' } as Record<string, string>,
    step: 'Required once this step is done',
    min: 'Minimum',
    max: 'Maximum',
    minMaxHint: 'For a number the value, for text the number of characters. Empty: no limit.',
    categories: 'Categories',
    categoriesHint: 'One per line.',
    pattern: 'Pattern (PCRE2)',
    patternHint: 'The whole value must match, for example [A-Z]{2}-\\d{4}. Empty: no pattern.',
    public: 'Public: part of the public facts of an openbaar project',
    rules: 'Rules',
    status: 'Status',
    active: 'active',
    retired: 'retired',
    yes: 'yes',
    no: 'no',
    actions: 'Actions',
    add: 'Add a field',
    addTitle: 'New plusveld',
    edit: 'Change',
    editOf: (n: string) => `Change ${n}`,
    editTitle: (n: string) => `Change plusveld ${n}`,
    save: 'Save',
    cancel: 'Cancel',
    retire: 'Retire',
    retireOf: (n: string) => `Retire ${n}`,
    confirmTitle: (n: string) => `Retire plusveld ${n}?`,
    confirmText:
      'When the field ever had a value it is retired: it never appears in forms, exports or the required check again, and its values stay in the projects\' history. When it never had a value it is deleted. The key is never used again.',
    confirm: 'Yes, retire',
    saved: (n: string) => `Plusveld ${n} has been saved.`,
    retiredDone: (n: string) => `Plusveld ${n} has been retired; its values stay in the history.`,
    deletedDone: (n: string) => `Plusveld ${n} never had a value and has been deleted.`,
    fromStep: (s: string) => `from ${s}`,
    none_: '—',
  },
});

function detailOf(e: unknown): string {
  return e instanceof ApiError ? e.problem.detail ?? e.message : String(e);
}

/** The label of a definition in the user's language. */
export function defLabel(d: { key: string; label: { nl: string; en: string } }): string {
  return d.label?.[lang.get()] || d.label?.nl || d.key;
}

/** The step keys of every process schema with their names, in schema order (the select of
 * required_from_step). */
function useSteps(): [string, string][] {
  const [steps, setSteps] = useState<[string, string][]>([]);
  useEffect(() => {
    let live = true;
    (async () => {
      const list = await api<{ key: string }[] | { results: { key: string }[] }>('GET', '/api/v1/process-schemas');
      const out: [string, string][] = [];
      const seen = new Set<string>();
      for (const k of (Array.isArray(list) ? list : list.results).map((r) => r.key)) {
        const doc = await api<{ steps: { key: string; name: string }[] }>('GET', `/api/v1/process-schemas/${encodeURIComponent(k)}`);
        for (const st of doc.steps ?? []) if (!seen.has(st.key)) (seen.add(st.key), out.push([st.key, st.name || st.key]));
      }
      if (live) setSteps(out);
    })().catch(() => undefined); // the select then offers the key typed by no one: the server names the field
    return () => {
      live = false;
    };
  }, []);
  return steps;
}

function rulesOf(d: PlusveldDef, stepName: (k: string) => string): string {
  const s = S();
  const parts: string[] = [];
  if (d.min !== null || d.max !== null) parts.push(`${d.min !== null ? fmtNumber(d.min) : '…'} – ${d.max !== null ? fmtNumber(d.max) : '…'}`);
  if (d.categories?.length) parts.push(d.categories.join(', '));
  if (d.pattern) parts.push(d.pattern);
  if (d.required) parts.push(`${s.required.toLowerCase()}${d.required_from_step ? ' ' + s.fromStep(stepName(d.required_from_step)) : ''}`);
  return parts.join('; ') || s.none_;
}

/** The plusveld definitions of one organisation: list, add, change, retire. */
export function PlusveldDefinitions({ org }: { org: string }) {
  const s = S();
  const steps = useSteps();
  const stepName = (k: string) => steps.find((x) => x[0] === k)?.[1] ?? k;
  const [all, setAll] = useState(false);
  const [list, setList] = useState<PlusveldDef[] | null>(null);
  const [err, setErr] = useState('');
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState<PlusveldDef | 'new' | null>(null);
  const [retiring, setRetiring] = useState<PlusveldDef | null>(null);
  const [notice, setNotice] = useState('');
  const addRef = useRef<HTMLButtonElement>(null);
  const base = `/api/v1/organisations/${encodeURIComponent(org)}/plusvelden`;
  useEffect(() => {
    api<Page<PlusveldDef>>('GET', `${base}${qs({ retired: all ? 'all' : 'false', page_size: 100 })}`)
      .then((p) => setList(p.results))
      .catch((e) => setErr(detailOf(e)));
  }, [org, all, version]);
  const done = (msg: string) => {
    setEditing(null);
    setRetiring(null);
    setNotice(msg);
    setVersion((v) => v + 1);
    requestAnimationFrame(() => addRef.current?.focus());
  };
  return (
    <div class="bs-plusvelden" data-testid="plusvelden">
      <h3 class="utrecht-heading-3" id="pd-title">
        {s.title}
      </h3>
      <p class="utrecht-paragraph bs-muted">{s.intro}</p>
      {err ? (
        <p class="utrecht-paragraph bs-field-error" role="alert">
          {err}
        </p>
      ) : null}
      <p class="utrecht-paragraph bs-notice" role="status" data-testid="pd-notice" hidden={!notice}>
        {notice}
      </p>
      <div class="utrecht-form-field utrecht-form-field--checkbox bs-checkline">
        <input type="checkbox" id="pd-show-retired" class="utrecht-checkbox utrecht-checkbox--html-input" checked={all} onChange={(e) => setAll((e.currentTarget as HTMLInputElement).checked)} />{' '}
        <label class="utrecht-form-label utrecht-form-label--checkbox" for="pd-show-retired">
          {s.showRetired}
        </label>
      </div>
      {list === null ? (
        err ? null : <p>{s.loading}</p>
      ) : list.length ? (
        <DataTable
          labelledBy="pd-title"
          testid="pd-list"
          heads={[s.key, s.label, s.type, s.appliesTo, s.rules, s.public.split(':')[0], s.status]}
          actions={s.actions}
        >
          {list.map((d) => (
            <tr class="utrecht-table__row" key={d.key} data-key={d.key} data-retired={d.retired ? 'true' : undefined}>
              <td class="utrecht-table__cell">
                <code>{d.key}</code>
              </td>
              <td class="utrecht-table__cell">{defLabel(d)}</td>
              <td class="utrecht-table__cell">{s.types[d.type] ?? d.type}</td>
              <td class="utrecht-table__cell">{s.kinds[d.applies_to] ?? d.applies_to}</td>
              <td class="utrecht-table__cell bs-pd-rules">{rulesOf(d, stepName)}</td>
              <td class="utrecht-table__cell">{d.public ? s.yes : s.no}</td>
              <td class="utrecht-table__cell" data-col="status">
                {d.retired ? <strong>{s.retired}</strong> : s.active}
              </td>
              <td class="utrecht-table__cell bs-actions">
                {d.retired ? null : (
                  <>
                    <button type="button" class="utrecht-button utrecht-button--secondary-action bs-small-button bs-pd-edit" aria-label={s.editOf(d.key)} onClick={() => (setRetiring(null), setNotice(''), setEditing(d))}>
                      {s.edit}
                    </button>{' '}
                    <button type="button" class="utrecht-button utrecht-button--secondary-action bs-small-button bs-pd-retire" aria-label={s.retireOf(d.key)} onClick={() => (setEditing(null), setNotice(''), setRetiring(d))}>
                      {s.retire}
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : (
        <p class="utrecht-paragraph">{s.none}</p>
      )}
      {retiring ? <RetireConfirm base={base} def={retiring} onCancel={() => setRetiring(null)} onDone={done} /> : null}
      {editing ? (
        <DefinitionForm key={editing === 'new' ? 'new' : editing.key} base={base} def={editing === 'new' ? null : editing} steps={steps} onCancel={() => setEditing(null)} onSaved={(d) => done(s.saved(d.key))} />
      ) : (
        <button type="button" ref={addRef} class="utrecht-button utrecht-button--secondary-action bs-pd-add" onClick={() => (setRetiring(null), setNotice(''), setEditing('new'))}>
          {s.add}
        </button>
      )}
    </div>
  );
}

function RetireConfirm({ base, def, onCancel, onDone }: { base: string; def: PlusveldDef; onCancel: () => void; onDone: (m: string) => void }) {
  const s = S();
  return (
    <ConfirmBox
      role="group"
      class="bs-form-box bs-confirm"
      testid="pd-confirm"
      heading="h4"
      titleId="pd-confirm-title"
      textId="pd-confirm-text"
      title={s.confirmTitle(defLabel(def))}
      text={s.confirmText}
      focus="title"
      focusKey={def.key}
      yes={s.confirm}
      yesClass="bs-pd-confirm"
      cancel={s.cancel}
      onCancel={onCancel}
      onConfirm={async () => {
        const r = await api<PlusveldDef | null>('DELETE', `${base}/${encodeURIComponent(def.key)}`);
        onDone(r && r.retired ? s.retiredDone(def.key) : s.deletedDone(def.key));
      }}
    />
  );
}

/** A number as typed, or the text itself when it is none (the server names what is wrong). */
function num(v: string): number | string | null {
  const t = v.trim();
  if (!t) return null;
  const n = Number(t.replace(',', '.'));
  return Number.isFinite(n) ? n : t;
}

const IDS: Record<string, string> = {
  key: 'pd-key',
  label: 'pd-label-nl',
  'label.nl': 'pd-label-nl',
  'label.en': 'pd-label-en',
  type: 'pd-type',
  applies_to: 'pd-applies-to',
  required: 'pd-required',
  required_from_step: 'pd-step',
  min: 'pd-min',
  max: 'pd-max',
  categories: 'pd-categories',
  pattern: 'pd-pattern',
  public: 'pd-public',
};

function DefinitionForm({ base, def, steps, onCancel, onSaved }: { base: string; def: PlusveldDef | null; steps: [string, string][]; onCancel: () => void; onSaved: (d: PlusveldDef) => void }) {
  const s = S();
  const f = useProblem();
  const head = useRef<HTMLHeadingElement>(null);
  const [key, setKey] = useState(def?.key ?? '');
  const [nl, setNl] = useState(def?.label.nl ?? '');
  const [en, setEn] = useState(def?.label.en ?? '');
  const [type, setType] = useState(def?.type ?? 'text');
  const [applies, setApplies] = useState<string>(def?.applies_to ?? 'project');
  const [req, setReq] = useState(def ? (def.required ? (def.required_from_step ? 'step' : 'always') : 'no') : 'no');
  const [step, setStep] = useState(def?.required_from_step ?? '');
  const [min, setMin] = useState(def?.min !== null && def?.min !== undefined ? String(def.min) : '');
  const [max, setMax] = useState(def?.max !== null && def?.max !== undefined ? String(def.max) : '');
  const [cats, setCats] = useState((def?.categories ?? []).join('\n'));
  const [pattern, setPattern] = useState(def?.pattern ?? '');
  const [pub, setPub] = useState(def?.public ?? false);
  useLayoutEffect(() => head.current?.focus(), []);
  const ranged = type === 'integer' || type === 'decimal' || type === 'text';
  const categorised = type === 'category' || type === 'multi_category';
  const stepValue = step || steps[0]?.[0] || '';
  const sub = useSubmit(
    f,
    async () => {
      const body: Record<string, unknown> = {
        label: { nl, en },
        required: req !== 'no',
        required_from_step: req === 'step' ? stepValue : null,
        public: pub,
      };
      // only the rules of the type; on a change an emptied rule is cleared (null)
      if (ranged) (body.min = num(min), (body.max = num(max)));
      if (categorised) body.categories = cats.split('\n').map((c) => c.trim()).filter(Boolean);
      if (type === 'text') body.pattern = pattern === '' ? null : pattern;
      if (!def) {
        Object.assign(body, { key, type, applies_to: applies });
        for (const k of ['min', 'max', 'pattern', 'required_from_step']) if (body[k] === null) delete body[k];
      }
      const r = def
        ? await api<PlusveldDef>('PATCH', `${base}/${encodeURIComponent(def.key)}`, body)
        : await api<PlusveldDef>('POST', base, body);
      onSaved(r);
    },
    IDS,
  );
  const title = def ? s.editTitle(defLabel(def)) : s.addTitle;
  return (
    <form class="bs-form-box bs-pd-form" noValidate aria-labelledby="pd-form-title" data-testid="pd-form" onSubmit={sub.onSubmit}>
      <h4 class="utrecht-heading-3" id="pd-form-title" tabIndex={-1} ref={head}>
        {title}
      </h4>
      <ErrorSummary errors={f.errors} title={s.errors} />
      {def ? (
        <p class="utrecht-paragraph">
          {s.key}: <code>{def.key}</code> · {s.type}: {s.types[def.type] ?? def.type} · {s.appliesTo}: {s.kinds[def.applies_to]}
        </p>
      ) : (
        <>
          <Field id="pd-key" label={s.key} hint={s.keyHint} value={key} onValue={setKey} error={f.at('key')} autoComplete="off" spellcheck={false} />
          <Field id="pd-type" as="select" label={s.type} value={type} onValue={setType} error={f.at('type')} options={TYPES.map((t) => [t, s.types[t]] as [string, string])} />
          <Field id="pd-applies-to" as="select" label={s.appliesTo} value={applies} onValue={setApplies} error={f.at('applies_to')} options={Object.entries(s.kinds)} />
        </>
      )}
      <Field id="pd-label-nl" label={s.labelNl} value={nl} onValue={setNl} error={f.at('label.nl') ?? f.at('label')} autoComplete="off" />
      <Field id="pd-label-en" label={s.labelEn} value={en} onValue={setEn} error={f.at('label.en')} autoComplete="off" />
      <Field id="pd-required" as="select" label={s.required} value={req} onValue={setReq} error={f.at('required')} options={Object.entries(s.requiredOpts)} />
      {req === 'step' ? <Field id="pd-step" as="select" label={s.step} value={stepValue} onValue={setStep} error={f.at('required_from_step')} options={steps} /> : null}
      {ranged ? (
        <div class="bs-pd-range">
          <Field id="pd-min" label={s.min} hint={s.minMaxHint} value={min} onValue={setMin} error={f.at('min')} inputMode="decimal" autoComplete="off" />
          <Field id="pd-max" label={s.max} value={max} onValue={setMax} error={f.at('max')} inputMode="decimal" autoComplete="off" />
        </div>
      ) : null}
      {categorised ? <Field id="pd-categories" as="textarea" label={s.categories} hint={s.categoriesHint} value={cats} onValue={setCats} error={f.at('categories')} /> : null}
      {type === 'text' ? <Field id="pd-pattern" label={s.pattern} hint={s.patternHint} value={pattern} onValue={setPattern} error={f.at('pattern')} autoComplete="off" spellcheck={false} class="bs-mono" /> : null}
      <div class={`utrecht-form-field utrecht-form-field--checkbox bs-checkline${f.at('public') ? ' utrecht-form-field--invalid' : ''}`}>
        {f.at('public') ? (
          <div class="utrecht-form-field-error-message bs-field-error" id="pd-public-error">
            {f.at('public')}
          </div>
        ) : null}
        <input
          type="checkbox"
          id="pd-public"
          class="utrecht-checkbox utrecht-checkbox--html-input"
          checked={pub}
          aria-invalid={f.at('public') ? 'true' : undefined}
          aria-describedby={f.at('public') ? 'pd-public-error' : undefined}
          onChange={(e) => setPub((e.currentTarget as HTMLInputElement).checked)}
        />{' '}
        <label class="utrecht-form-label utrecht-form-label--checkbox" for="pd-public">
          {s.public}
        </label>
      </div>
      <SubmitButton busy={sub.busy}>{s.save}</SubmitButton>{' '}
      <button type="button" class="utrecht-button utrecht-button--secondary-action" onClick={onCancel}>
        {s.cancel}
      </button>
    </form>
  );
}
