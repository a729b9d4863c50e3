// Reusable form parts (NL Design System / Utrecht CSS classes), shared by every form of the app:
//
//   const f = useProblem();                       // errors from the server's problem document
//   <form onSubmit={...} noValidate>
//     <ErrorSummary errors={f.errors} title="Er ging iets mis" />
//     <Field id="login-email" label="E-mailadres" error={f.at('email')} value={email} onValue={setEmail} />
//     <SubmitButton busy={busy}>Inloggen</SubmitButton>
//   </form>
//   try { await api(...) } catch (e) { f.fromError(e, { email: 'login-email' }) }
//
// or, for the usual form, the submit in one hook (busy, errors cleared, the problem put at the fields):
//
//   const sub = useSubmit(f, async () => { await api(...) }, { email: 'login-email' });
//   <form onSubmit={sub.onSubmit} noValidate> … <SubmitButton busy={sub.busy}>Inloggen</SubmitButton>
//
// Field: label, hint and error tied to the control (aria-describedby, aria-invalid). ErrorSummary:
// an alert listing every error, each a link that focuses its field; it takes focus when it
// appears so keyboard and screen-reader users hear it (GOV.UK / NL Design System pattern).
// SubmitButton: a submit button that says it is busy (aria-busy, no second submit) while the
// request runs. Messages are the server's own (problem+json `invalid_params[].reason`, else
// `detail`): the server is the one authority on what is wrong.
import type { ComponentChildren, HTMLInputTypeAttribute, PartialInputHTMLAttributes, Ref } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../lib/api';

export interface FormError {
  /** id of the control the error belongs to; undefined for an error of the whole form */
  id?: string;
  /** the field's name in the API (invalid_params[].name) */
  field?: string;
  message: string;
}

type FieldProps = {
  id: string;
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string;
  value: string;
  onValue: (v: string) => void;
  as?: 'input' | 'textarea' | 'select';
  type?: HTMLInputTypeAttribute;
  /** options of a select: [value, label] */
  options?: [string, string][];
  inputRef?: Ref<any>;
  class?: string;
} & Omit<PartialInputHTMLAttributes<HTMLInputElement>, 'id' | 'label' | 'value' | 'as' | 'type' | 'class' | 'ref' | 'onInput' | 'onChange'>;

/** A labelled control with an optional hint and the error that names it. */
export function Field({ id, label, hint, error, value, onValue, as = 'input', type = 'text', options, inputRef, class: cls, ...rest }: FieldProps) {
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: id,
    ref: inputRef,
    'aria-invalid': error ? ('true' as const) : undefined,
    'aria-describedby': described,
  };
  let control;
  if (as === 'select') {
    control = (
      <select
        {...common}
        {...(rest as Record<string, unknown>)}
        class={`utrecht-select utrecht-select--html-select${error ? ' utrecht-select--invalid' : ''}`}
        value={value}
        onChange={(e) => onValue((e.currentTarget as HTMLSelectElement).value)}
      >
        {(options ?? []).map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    );
  } else if (as === 'textarea') {
    control = (
      <textarea
        {...common}
        {...(rest as Record<string, unknown>)}
        class={`utrecht-textarea utrecht-textarea--html-textarea${error ? ' utrecht-textarea--invalid' : ''}`}
        value={value}
        onInput={(e) => onValue((e.currentTarget as HTMLTextAreaElement).value)}
      />
    );
  } else {
    control = (
      <input
        {...common}
        {...(rest as Record<string, unknown>)}
        type={type as "text"}
        class={`utrecht-textbox utrecht-textbox--html-input${error ? ' utrecht-textbox--invalid' : ''}`}
        value={value}
        onInput={(e) => onValue((e.currentTarget as HTMLInputElement).value)}
      />
    );
  }
  return (
    <div class={`utrecht-form-field utrecht-form-field--text bs-field${error ? ' utrecht-form-field--invalid' : ''}${cls ? ' ' + cls : ''}`}>
      <div class="utrecht-form-field__label">
        <label class="utrecht-form-label" for={id}>
          {label}
        </label>
      </div>
      {hint ? (
        <div class="utrecht-form-field__description utrecht-form-field-description bs-muted" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <div class="utrecht-form-field__error-message utrecht-form-field-error-message bs-field-error" id={`${id}-error`}>
          {error}
        </div>
      ) : null}
      <div class="utrecht-form-field__input">{control}</div>
    </div>
  );
}

/** The list of a form's errors at its top: an alert that takes focus when it appears; each
 * error with a control is a link that moves the focus to it. Renders nothing without errors. */
export function ErrorSummary({ errors, title }: { errors: FormError[]; title: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const key = errors.map((e) => `${e.id}:${e.message}`).join('|');
  // a layout effect: the focus moves in the same frame the summary appears (no window in which
  // the user's next key still goes to the control they left)
  useLayoutEffect(() => {
    if (errors.length && ref.current) ref.current.focus();
  }, [key]);
  if (!errors.length) return null;
  return (
    <div ref={ref} class="utrecht-alert utrecht-alert--error bs-form-error bs-error-summary" role="alert" tabIndex={-1} aria-labelledby="bs-error-summary-title">
      <h2 class="utrecht-heading-3" id="bs-error-summary-title">
        {title}
      </h2>
      <ul class="utrecht-unordered-list">
        {errors.map((e, i) => (
          <li key={i}>
            {e.id ? (
              <a
                href={`#${e.id}`}
                onClick={(ev) => {
                  ev.preventDefault();
                  const el = document.getElementById(e.id!);
                  el?.focus();
                  el?.scrollIntoView({ block: 'center' });
                }}
              >
                {e.message}
              </a>
            ) : (
              e.message
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A primary submit button that is busy (aria-busy, a second submit ignored) while busy. */
export function SubmitButton({ busy, children, busyLabel, class: cls }: { busy: boolean; children: ComponentChildren; busyLabel?: string; class?: string }) {
  return (
    <button
      type="submit"
      class={`utrecht-button utrecht-button--primary-action utrecht-button--submit${busy ? ' utrecht-button--busy' : ''}${cls ? ' ' + cls : ''}`}
      aria-busy={busy ? 'true' : undefined}
      aria-disabled={busy ? 'true' : undefined}
      onClick={(e) => {
        if (busy) e.preventDefault();
      }}
    >
      {busy && busyLabel ? busyLabel : children}
    </button>
  );
}

/** The errors of one form, filled from the server's problem document. */
export interface ProblemState {
  errors: FormError[];
  /** the server's message for an API field name, or undefined */
  at(field: string): string | undefined;
  /** Takes an error thrown by api(): each invalid_params entry goes to the control named in
   * ids (API field name → control id), the rest (or the detail) is an error of the form.
   * Anything that is not an ApiError becomes `fallback` (e.g. the network is down). */
  fromError(e: unknown, ids: Record<string, string>, fallback?: string): void;
  set(errors: FormError[]): void;
  clear(): void;
}

export function problemErrors(e: unknown, ids: Record<string, string>, fallback = 'Network error'): FormError[] {
  if (!(e instanceof ApiError)) return [{ message: fallback }];
  const out: FormError[] = [];
  for (const p of e.problem.invalid_params ?? []) {
    const id = ids[p.name];
    out.push(id ? { id, field: p.name, message: p.reason } : { field: p.name, message: p.reason });
  }
  if (!out.length) out.push({ message: e.problem.detail || e.problem.title || e.message });
  return out;
}

export function useProblem(): ProblemState {
  const [errors, setErrors] = useState<FormError[]>([]);
  return {
    errors,
    at: (field) => errors.find((e) => e.field === field && e.id)?.message,
    fromError: (e, ids, fallback) => setErrors(problemErrors(e, ids, fallback)),
    set: setErrors,
    clear: () => setErrors([]),
  };
}

/** One form's submit, the pattern every form of the app repeats: `onSubmit` prevents the browser's
 * own submit, ignores a submit while the previous one still runs (`busy`; held in a ref too, so a
 * double click before the next render cannot send twice), clears the form's errors, awaits `run`,
 * and puts an error it throws at the controls `ids` names (API field name → control id, as
 * ProblemState.fromError) — or hands it to `ids` when that is a function (a form with its own
 * error handling). */
export function useSubmit(
  f: ProblemState,
  run: () => Promise<void>,
  ids: Record<string, string> | ((err: unknown) => void),
): { busy: boolean; onSubmit: (e: Event) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const running = useRef(false);
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (running.current) return;
    running.current = true;
    setBusy(true);
    f.clear();
    try {
      await run();
    } catch (err) {
      if (typeof ids === 'function') ids(err);
      else f.fromError(err, ids);
    } finally {
      running.current = false;
      setBusy(false);
    }
  };
  return { busy, onSubmit };
}
