// Accepting an invitation (/invitation#token=TOKEN, the link of the invitation mail): the
// invited external developer chooses a password (POST /api/v1/invitations/accept {token,
// password}); then the app logs them in with it (POST /api/v1/login) and opens /projects. When
// the login needs more (a second factor) they go to the login page with their e-mail address
// filled in. The token is read from the fragment, which browsers never send to a server.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api';
import { lang, strings } from '../lib/i18n';
import { location, navigate } from '../lib/router';
import { refreshMe } from '../lib/session';
import { useSignal } from '../lib/signal';
import { flash, fragmentToken } from '../lib/guard';
import { ErrorSummary, Field, SubmitButton, useProblem } from '../components/form';

const S = strings({
  nl: {
    title: 'Uitnodiging aannemen',
    intro: 'U bent uitgenodigd om in Bouwstroom de planning van uw project bij te houden. Kies een wachtwoord om uw account te activeren.',
    password: 'Nieuw wachtwoord',
    hint: 'Minstens 12 tekens. Een zin van een paar woorden is sterk en goed te onthouden.',
    repeat: 'Herhaal het wachtwoord',
    mismatch: 'De twee wachtwoorden zijn niet gelijk.',
    submit: 'Account activeren',
    busy: 'Bezig…',
    summary: 'Activeren is niet gelukt',
    noToken: 'Deze link bevat geen uitnodiging. Open de link uit de uitnodigingsmail opnieuw.',
    accepted: 'Uw account is geactiveerd. Log in met uw e-mailadres en het nieuwe wachtwoord.',
    network: 'De server is niet bereikbaar. Probeer het later opnieuw.',
  },
  en: {
    title: 'Accept the invitation',
    intro: 'You are invited to keep the plan of your project up to date in Bouwstroom. Choose a password to activate your account.',
    password: 'New password',
    hint: 'At least 12 characters. A sentence of a few words is strong and easy to remember.',
    repeat: 'Repeat the password',
    mismatch: 'The two passwords differ.',
    submit: 'Activate account',
    busy: 'Working…',
    summary: 'Activation failed',
    noToken: 'This link holds no invitation. Open the link of the invitation mail again.',
    accepted: 'Your account is active. Log in with your e-mail address and the new password.',
    network: 'The server cannot be reached. Try again later.',
  },
});

export default function Invitation(_: { params: Record<string, string> }) {
  useSignal(lang);
  const loc = useSignal(location);
  const s = S();
  const token = fragmentToken(loc.hash);
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const f = useProblem();
  useEffect(() => {
    document.title = `${s.title} — Bouwstroom`;
  }, [s.title]);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (password !== repeat) {
      f.set([{ id: 'inv-repeat', field: 'repeat', message: s.mismatch }]);
      return;
    }
    setBusy(true);
    try {
      const r = await api<{ user_id: string; email: string }>('POST', '/api/v1/invitations/accept', { token, password });
      try {
        await api('POST', '/api/v1/login', { email: r.email, password }, { quiet401: true });
        await refreshMe();
        navigate('/projects', true);
      } catch {
        flash.set(s.accepted);
        navigate(`/login?email=${encodeURIComponent(r.email)}`, true);
      }
    } catch (err) {
      f.fromError(err, { password: 'inv-password' }, s.network);
      if (err instanceof ApiError && err.status === 404) f.set([{ message: err.problem.detail ?? err.message }]);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="bs-narrow">
      <h1 class="utrecht-heading-1">{s.title}</h1>
      {!token ? (
        <div class="utrecht-alert utrecht-alert--error bs-form-error" role="alert">
          {s.noToken}
        </div>
      ) : (
        <>
          <p class="utrecht-paragraph">{s.intro}</p>
          <form onSubmit={submit} noValidate>
            <ErrorSummary errors={f.errors} title={s.summary} />
            <Field id="inv-password" label={s.password} hint={s.hint} type="password" autoComplete="new-password" required value={password} onValue={setPassword} error={f.at('password')} />
            <Field id="inv-repeat" label={s.repeat} type="password" autoComplete="new-password" required value={repeat} onValue={setRepeat} error={f.at('repeat')} />
            <SubmitButton busy={busy} busyLabel={s.busy}>
              {s.submit}
            </SubmitButton>
          </form>
        </>
      )}
    </section>
  );
}
