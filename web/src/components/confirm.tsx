// The confirmation before an action that cannot be undone (erase a member, delete a block or a
// goal, retire a plusveld): a title, a text saying what will happen, the server's error when the
// action fails, a primary button that is busy (aria-busy, a second click ignored) while the
// request runs, and a cancel button. The box takes the focus when it appears (on its title, or on
// the whole box), so keyboard and screen-reader users land on the question.
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../lib/api';

export interface ConfirmBoxProps {
  /** 'alertdialog' for a box that interrupts (erase, delete a block), 'group' for one in a form's place */
  role: 'alertdialog' | 'group';
  /** the box's classes (e.g. 'bs-erase-confirm', 'bs-form-box bs-confirm') */
  class: string;
  testid: string;
  /** the title's element and id; the text's id (the box's aria-describedby for an alertdialog,
   * the primary button's for a group) */
  heading: 'h2' | 'h3' | 'h4';
  titleId: string;
  textId: string;
  title: ComponentChildren;
  text: ComponentChildren;
  /** where the focus goes when the box appears: its title, or the box itself */
  focus: 'title' | 'box';
  /** the focus moves again when this changes (the thing being confirmed) */
  focusKey?: unknown;
  /** the primary button: label, id, extra class */
  yes: ComponentChildren;
  yesId?: string;
  yesClass?: string;
  cancel: ComponentChildren;
  onCancel: () => void;
  /** the action; what it throws is shown as the error line (the problem's detail) and the
   * button is free again. On success the caller closes the box. */
  onConfirm: () => Promise<void>;
}

/** The confirm box (see the file's comment). */
export function ConfirmBox(p: ConfirmBoxProps) {
  const box = useRef<HTMLDivElement>(null);
  const head = useRef<HTMLHeadingElement>(null);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  useLayoutEffect(() => (p.focus === 'box' ? box : head).current?.focus(), [p.focusKey]);
  const dialog = p.role === 'alertdialog';
  const H = p.heading;
  const yes = (
    <button
      type="button"
      class={`utrecht-button utrecht-button--primary-action${p.yesClass ? ' ' + p.yesClass : ''}`}
      id={p.yesId}
      aria-describedby={dialog ? undefined : p.textId}
      aria-busy={busy ? 'true' : undefined}
      onClick={async () => {
        if (busy) return;
        setBusy(true);
        setErr('');
        try {
          await p.onConfirm();
        } catch (e) {
          setErr(e instanceof ApiError ? e.problem.detail ?? e.message : String(e));
          setBusy(false);
        }
      }}
    >
      {p.yes}
    </button>
  );
  const cancel = (
    <button type="button" class="utrecht-button utrecht-button--secondary-action" onClick={p.onCancel}>
      {p.cancel}
    </button>
  );
  return (
    <div
      class={p.class}
      role={p.role}
      aria-labelledby={p.titleId}
      aria-describedby={dialog ? p.textId : undefined}
      tabIndex={p.focus === 'box' ? -1 : undefined}
      ref={box}
      data-testid={p.testid}
    >
      <H class="utrecht-heading-3" id={p.titleId} tabIndex={p.focus === 'title' ? -1 : undefined} ref={head}>
        {p.title}
      </H>
      <p class="utrecht-paragraph" id={p.textId}>
        {p.text}
      </p>
      {err ? (
        <p class="utrecht-paragraph bs-field-error" role="alert">
          {err}
        </p>
      ) : null}
      {dialog ? (
        <div class="utrecht-button-group">
          {yes}
          {cancel}
        </div>
      ) : (
        <>
          {yes} {cancel}
        </>
      )}
    </div>
  );
}
