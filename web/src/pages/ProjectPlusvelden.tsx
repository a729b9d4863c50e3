// Plusvelden on the project page (issue 18 item 5; docs/homes-and-goals.md "Plusvelden"): the
// project's current values of its owner's own fields, labelled in the user's language, what the
// required check misses, and — for callers with write access — a form with one control per field
// by type (text, number, date, yes/no, a category as a select, several categories as checkboxes).
// GET/PATCH /api/v1/projects/{id}/plusvelden: the definitions come with the values and never hold a
// retired field, so a retired field is in neither list nor form. Every rule is the server's: a
// refusal is shown at the field it names (`plusvelden.<key>`). The form (PlusveldenForm) serves a
// block's values too (…/blocks/{block_id}/plusvelden, the same document; ProjectBlocks.tsx).
import './goals.css';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api';
import { fmtDate, fmtNumber, lang, strings } from '../lib/i18n';
import { useSignal } from '../lib/signal';
import { ErrorSummary, Field, SubmitButton, useProblem, useSubmit } from '../components/form';
import { defLabel, type PlusveldDef } from './AdminPlusvelden';

/** A plusveld value as the API carries it. */
export type Value = string | number | boolean | string[] | null;
/** GET …/plusvelden of a project or a block: the values, the form's (active) definitions and
 * the required check (null with known_on). */
export interface PlusveldDoc {
  plusvelden: Record<string, Value>;
  definitions: PlusveldDef[];
  missing_required: string[] | null;
}

const S = strings({
  nl: {
    title: 'Plusvelden',
    intro: 'Eigen velden van de gemeente bij dit project.',
    loading: 'Laden…',
    errors: 'Er ging iets mis',
    empty: 'niet ingevuld',
    yes: 'ja',
    no: 'nee',
    missing: (l: string) => `Verplicht en nog niet ingevuld: ${l}.`,
    edit: 'Plusvelden wijzigen',
    reason: 'Reden van de wijziging (optioneel)',
    save: 'Plusvelden opslaan',
    saved: 'De plusvelden zijn opgeslagen.',
    unchanged: 'Er is niets gewijzigd.',
    choose: '— niet ingevuld —',
    requiredMark: '(verplicht)',
    requiredFrom: (st: string) => `(verplicht zodra ${st} klaar is)`,
    cancel: 'Annuleren',
    numberHint: 'Een getal, bijvoorbeeld 12 of 3,5.',
    patternHint: (p: string) => `De hele waarde moet passen op het patroon ${p}.`,
  },
  en: {
    title: 'Plusvelden (own fields)',
    intro: 'The municipality\'s own fields on this project.',
    loading: 'Loading…',
    errors: 'Something went wrong',
    empty: 'not filled in',
    yes: 'yes',
    no: 'no',
    missing: (l: string) => `Required and not yet filled in: ${l}.`,
    edit: 'Change plusvelden',
    reason: 'Reason for the change (optional)',
    save: 'Save plusvelden',
    saved: 'The plusvelden have been saved.',
    unchanged: 'Nothing was changed.',
    choose: '— not filled in —',
    requiredMark: '(required)',
    requiredFrom: (st: string) => `(required once ${st} is done)`,
    cancel: 'Cancel',
    numberHint: 'A number, for example 12 or 3.5.',
    patternHint: (p: string) => `The whole value must match the pattern ${p}.`,
  },
});

/** A value as the page shows it: in the user's language, '—'-free ("niet ingevuld" when empty). */
export function shownValue(d: PlusveldDef, v: Value): string {
  const s = S();
  if (v === null || v === undefined || (Array.isArray(v) && !v.length)) return s.empty;
  if (d.type === 'boolean') return v ? s.yes : s.no;
  if (d.type === 'date') return fmtDate(String(v));
  if (d.type === 'integer' || d.type === 'decimal') return typeof v === 'number' ? fmtNumber(v) : String(v);
  if (Array.isArray(v)) return v.join(', ');
  return String(v);
}

/** The form's text of a value (numbers as the user writes them: a decimal comma in Dutch). */
function asText(d: PlusveldDef, v: Value): string {
  if (v === null || v === undefined) return '';
  if (d.type === 'boolean') return v ? 'true' : 'false';
  if (d.type === 'decimal' && typeof v === 'number' && lang.get() === 'nl') return String(v).replace('.', ',');
  return String(v);
}

/** The value to send for a field's text: numbers as numbers when they are (else the text: the
 * server says what is wrong), '' as null (clears). */
function toValue(d: PlusveldDef, t: string): Value {
  if (t.trim() === '') return null;
  if (d.type === 'integer' && /^\s*-?\d+\s*$/.test(t)) return Number(t);
  if (d.type === 'decimal') {
    const n = Number(t.trim().replace(',', '.'));
    return Number.isFinite(n) ? n : t;
  }
  if (d.type === 'boolean') return t === 'true';
  return t;
}

/** The project's plusvelden: values for readers, the form for writers (not when the page shows
 * the plan as known on a date). */
export function ProjectPlusvelden({ project, writable }: { project: string; writable: boolean }) {
  useSignal(lang);
  const s = S();
  const [doc, setDoc] = useState<PlusveldDoc | null>(null);
  const [err, setErr] = useState('');
  const [saved, setSaved] = useState('');
  useEffect(() => {
    api<PlusveldDoc>('GET', `/api/v1/projects/${encodeURIComponent(project)}/plusvelden`)
      .then(setDoc)
      .catch((e) => setErr(e instanceof ApiError ? e.problem.detail ?? e.message : String(e)));
  }, [project]);
  if (!doc && !err) return null;
  if (doc && !doc.definitions.length) return null; // the owner has no plusvelden: nothing to show
  const missing = doc ? missingLabels(doc) : [];
  return (
    <section class="bs-plusvelden-values" aria-labelledby="bs-pv-title" data-testid="project-plusvelden">
      <h2 class="utrecht-heading-2" id="bs-pv-title">
        {s.title}
      </h2>
      <p class="utrecht-paragraph bs-muted">{s.intro}</p>
      {err ? (
        <p class="utrecht-paragraph bs-field-error" role="alert">
          {err}
        </p>
      ) : null}
      {doc ? (
        <>
          <dl class="bs-pv-list" data-testid="pv-values">
            {doc.definitions.map((d) => (
              <div key={d.key} data-key={d.key}>
                <dt>{defLabel(d)}</dt>
                <dd>{shownValue(d, doc.plusvelden[d.key] ?? null)}</dd>
              </div>
            ))}
          </dl>
          {missing.length ? (
            <p class="utrecht-paragraph bs-field-error" data-testid="pv-missing">
              {s.missing(missing.join(', '))}
            </p>
          ) : null}
          {writable ? (
            <PlusveldenForm
              key={JSON.stringify(doc.plusvelden)}
              path={`/api/v1/projects/${encodeURIComponent(project)}/plusvelden`}
              doc={doc}
              prefix="pv"
              titleId="bs-pv-form-title"
              title={s.edit}
              saveLabel={s.save}
              notice={saved}
              focusOnMount={!!saved}
              onSaved={(d) => (setDoc(d), setSaved(s.saved))}
            />
          ) : null}
        </>
      ) : null}
    </section>
  );
}


/** The labels of the required ones that the server's required check misses (missing_required). */
export function missingLabels(doc: PlusveldDoc): string[] {
  return (doc.missing_required ?? []).map((k) => {
    const d = doc.definitions.find((x) => x.key === k);
    return d ? defLabel(d) : k;
  });
}

/** The props of PlusveldenForm. path: the values' endpoint (GET/PATCH, project or block);
 * prefix: the controls' ids (`${prefix}-<key>`, `${prefix}-reason`) and test ids
 * (`${prefix}-form`, `${prefix}-saved`); stepName: a step key's name, for "required once …". */
interface FormProps {
  path: string;
  doc: PlusveldDoc;
  prefix: string;
  titleId: string;
  title: string;
  saveLabel: string;
  notice?: string;
  focusOnMount?: boolean;
  stepName?: (key: string) => string;
  /** what the required check misses, said under the heading ('' nothing) */
  missing?: string;
  onSaved: (d: PlusveldDoc) => void;
  onCancel?: () => void;
}

/** The form of a project's or a block's plusvelden: one control per active definition by type,
 * PATCH of the changed values only (a cleared one as null), each refusal of the server at the
 * control of the field it names (`plusvelden.<key>`, `reason`); after the write the document is
 * read again and handed to onSaved. */
export function PlusveldenForm({ path, doc, prefix, titleId, title, saveLabel, notice = '', focusOnMount, stepName, missing = '', onSaved, onCancel }: FormProps) {
  const s = S();
  const f = useProblem();
  const start = () => Object.fromEntries(doc.definitions.map((d) => [d.key, d.type === 'multi_category' ? ((doc.plusvelden[d.key] as string[]) ?? []) : asText(d, doc.plusvelden[d.key] ?? null)]));
  const [vals, setVals] = useState<Record<string, string | string[]>>(start);
  const [reason, setReason] = useState('');
  const [status, setStatus] = useState(notice);
  // made again after a save (its key) or opened for a block: the focus goes to the form's
  // heading, not to the body
  const head = useRef<HTMLHeadingElement>(null);
  useLayoutEffect(() => {
    if (focusOnMount) head.current?.focus();
  }, []);
  const ids = Object.fromEntries(doc.definitions.map((d) => [`plusvelden.${d.key}`, `${prefix}-${d.key}`]));
  const sub = useSubmit(
    f,
    async () => {
      setStatus('');
      const changed: Record<string, Value> = {};
      for (const d of doc.definitions) {
        const before = doc.plusvelden[d.key] ?? null;
        const v = vals[d.key];
        const now: Value = Array.isArray(v) ? (v.length ? v : null) : toValue(d, v);
        if (JSON.stringify(now) !== JSON.stringify(before)) changed[d.key] = now;
      }
      if (!Object.keys(changed).length) {
        setStatus(s.unchanged);
        return;
      }
      await api('PATCH', path, reason.trim() ? { plusvelden: changed, reason: reason.trim() } : { plusvelden: changed });
      // the form's definitions and the required check as they are after the write
      onSaved(await api<PlusveldDoc>('GET', path));
    },
    { ...ids, reason: `${prefix}-reason` },
  );
  const set = (k: string, v: string | string[]) => setVals((o) => ({ ...o, [k]: v }));
  const labelOf = (d: PlusveldDef) => {
    // the step's name where the page knows the plan's steps, else its key in words
    if (d.required && d.required_from_step) return `${defLabel(d)} ${s.requiredFrom(stepName ? stepName(d.required_from_step) : d.required_from_step.replace(/_/g, ' '))}`;
    return d.required ? `${defLabel(d)} ${s.requiredMark}` : defLabel(d);
  };
  return (
    <form class="bs-form-box bs-pv-form" noValidate aria-labelledby={titleId} data-testid={`${prefix}-form`} onSubmit={sub.onSubmit}>
      <h3 class="utrecht-heading-3" id={titleId} tabIndex={-1} ref={head}>
        {title}
      </h3>
      {missing ? (
        <p class="utrecht-paragraph bs-field-error" data-testid={`${prefix}-missing`}>
          {missing}
        </p>
      ) : null}
      <ErrorSummary errors={f.errors} title={s.errors} />
      {doc.definitions.map((d) => {
        const id = `${prefix}-${d.key}`;
        const label = labelOf(d);
        const error = f.at(`plusvelden.${d.key}`);
        const v = vals[d.key];
        if (d.type === 'multi_category') {
          const chosen = (v as string[]) ?? [];
          return (
            <fieldset key={d.key} class={`utrecht-form-fieldset bs-plain-fieldset${error ? ' utrecht-form-field--invalid' : ''}`} aria-describedby={error ? `${id}-error` : undefined}>
              <legend class="utrecht-form-fieldset__legend">{label}</legend>
              {error ? (
                <div class="utrecht-form-field-error-message bs-field-error" id={`${id}-error`}>
                  {error}
                </div>
              ) : null}
              {(d.categories ?? []).map((c, i) => (
                <div class="utrecht-form-field utrecht-form-field--checkbox bs-checkline" key={c}>
                  <input
                    type="checkbox"
                    id={i === 0 ? id : `${id}-${i}`}
                    class="utrecht-checkbox utrecht-checkbox--html-input"
                    checked={chosen.includes(c)}
                    aria-invalid={error ? 'true' : undefined}
                    onChange={(e) => set(d.key, (e.currentTarget as HTMLInputElement).checked ? [...chosen, c] : chosen.filter((x) => x !== c))}
                  />{' '}
                  <label class="utrecht-form-label utrecht-form-label--checkbox" for={i === 0 ? id : `${id}-${i}`}>
                    {c}
                  </label>
                </div>
              ))}
            </fieldset>
          );
        }
        if (d.type === 'category' || d.type === 'boolean') {
          const opts: [string, string][] = d.type === 'boolean' ? [['true', s.yes], ['false', s.no]] : (d.categories ?? []).map((c) => [c, c]);
          return <Field key={d.key} id={id} as="select" label={label} value={v as string} onValue={(x) => set(d.key, x)} error={error} options={[['', s.choose], ...opts]} />;
        }
        const numeric = d.type === 'integer' || d.type === 'decimal';
        return (
          <Field
            key={d.key}
            id={id}
            label={label}
            type={d.type === 'date' ? 'date' : 'text'}
            hint={numeric ? s.numberHint : d.pattern ? s.patternHint(d.pattern) : undefined}
            inputMode={numeric ? (d.type === 'integer' ? 'numeric' : 'decimal') : undefined}
            value={v as string}
            onValue={(x) => set(d.key, x)}
            error={error}
            autoComplete="off"
          />
        );
      })}
      <Field id={`${prefix}-reason`} label={s.reason} value={reason} onValue={setReason} error={f.at('reason')} autoComplete="off" />
      <div class="utrecht-button-group bs-block-buttons">
        <SubmitButton busy={sub.busy}>{saveLabel}</SubmitButton>
        {onCancel ? (
          <button type="button" class="utrecht-button utrecht-button--secondary-action" onClick={onCancel}>
            {s.cancel}
          </button>
        ) : null}
      </div>
      <p class="utrecht-paragraph bs-notice" role="status" data-testid={`${prefix}-saved`} hidden={!status}>
        {status}
      </p>
    </form>
  );
}
