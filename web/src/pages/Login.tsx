// Login (/login?next=PATH): e-mail and password, then — where the server answers that the role
// needs it — the TOTP code of an authenticator app (RFC 6238), or the enrolment of one (the
// server's secret as text and as a QR code of its otpauth URI; the QR code module loads only
// then). Every refusal is the server's problem document, shown at the field it names; a locked
// account or address (429) says when to try again (Retry-After). Success: the session cookie
// (HttpOnly, set by the server) and the page asked for, else /projects. Nothing is stored.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api';
import { lang, strings } from '../lib/i18n';
import { linkClick, location, navigate } from '../lib/router';
import { refreshMe } from '../lib/session';
import { useSignal } from '../lib/signal';
import { flash, safeNext } from '../lib/guard';
import { ErrorSummary, Field, SubmitButton, useProblem } from '../components/form';

const S = strings({
  nl: {
    title: 'Inloggen',
    email: 'E-mailadres',
    password: 'Wachtwoord',
    submit: 'Inloggen',
    busy: 'Bezig met inloggen…',
    forgot: 'Wachtwoord vergeten?',
    public: 'Zonder inloggen: de openbare cijfers en projecten',
    summary: 'Inloggen is niet gelukt',
    codeTitle: 'Tweede stap: code uit uw authenticator-app',
    code: 'Code (6 cijfers)',
    codeHint: 'De code die uw authenticator-app nu toont voor Bouwstroom.',
    enrolTitle: 'Stel uw tweede stap in',
    enrolIntro: 'Uw rol vraagt een tweede stap bij het inloggen. Voeg Bouwstroom toe aan een authenticator-app (bijvoorbeeld FreeOTP of Google Authenticator): scan de QR-code, of typ de geheime sleutel over. Vul daarna de code in die de app toont.',
    qrAlt: 'QR-code om Bouwstroom toe te voegen aan een authenticator-app',
    secret: 'Geheime sleutel',
    confirm: 'Bevestig en log in',
    back: 'Terug',
    retry: (s: number) => `Probeer het over ${s < 120 ? `${s} seconden` : `${Math.ceil(s / 60)} minuten`} opnieuw.`,
    network: 'De server is niet bereikbaar. Probeer het later opnieuw.',
  },
  en: {
    title: 'Log in',
    email: 'E-mail address',
    password: 'Password',
    submit: 'Log in',
    busy: 'Logging in…',
    forgot: 'Forgot your password?',
    public: 'Without logging in: the public figures and projects',
    summary: 'Logging in failed',
    codeTitle: 'Second step: code from your authenticator app',
    code: 'Code (6 digits)',
    codeHint: 'The code your authenticator app shows for Bouwstroom now.',
    enrolTitle: 'Set up your second step',
    enrolIntro: 'Your role needs a second step when logging in. Add Bouwstroom to an authenticator app (for example FreeOTP or Google Authenticator): scan the QR code or type the secret key. Then enter the code the app shows.',
    qrAlt: 'QR code to add Bouwstroom to an authenticator app',
    secret: 'Secret key',
    confirm: 'Confirm and log in',
    back: 'Back',
    retry: (s: number) => `Try again in ${s < 120 ? `${s} seconds` : `${Math.ceil(s / 60)} minutes`}.`,
    network: 'The server cannot be reached. Try again later.',
  },
});

type Step = 'password' | 'code' | 'enrol';

/** The QR code of an otpauth URI as a data: URL (img-src 'self' data: in the CSP). */
function Qr({ uri, alt }: { uri: string; alt: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    import('qrcode').then((q) => q.toDataURL(uri, { margin: 2, width: 200, errorCorrectionLevel: 'M' })).then((d) => live && setSrc(d));
    return () => {
      live = false;
    };
  }, [uri]);
  return src ? <img class="bs-qr" src={src} alt={alt} width={200} height={200} /> : <div class="bs-qr" aria-hidden="true" />;
}

export default function Login(_: { params: Record<string, string> }) {
  useSignal(lang);
  const loc = useSignal(location);
  const s = S();
  const [step, setStep] = useState<Step>('password');
  const [email, setEmail] = useState(loc.query.get('email') ?? '');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [enrol, setEnrol] = useState<{ secret: string; uri: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice] = useState(() => {
    const n = flash.get();
    flash.set(null);
    return n;
  });
  const f = useProblem();
  useEffect(() => {
    document.title = `${s.title} — Bouwstroom`;
  }, [s.title]);
  const codeRef = useRef<HTMLInputElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useLayoutEffect(() => {
    if (step !== 'password') codeRef.current?.focus();
  }, [step]);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    const body: Record<string, string> = { email, password };
    if (step !== 'password') body.totp_code = code.trim();
    try {
      await api('POST', '/api/v1/login', body, { quiet401: true });
      f.clear();
      await refreshMe();
      navigate(safeNext(loc.query.get('next')), true);
      return;
    } catch (err) {
      if (err instanceof ApiError && err.problem.code === 'totp_required' && step === 'password') {
        f.clear();
        setStep('code');
      } else if (err instanceof ApiError && err.problem.code === 'totp_enrolment_required' && step === 'password') {
        f.clear();
        setEnrol({ secret: String(err.problem.secret ?? ''), uri: String(err.problem.otpauth_uri ?? '') });
        setStep('enrol');
      } else {
        // on the code step the code is what the user just typed: a refusal of the credentials
        // ("password" or "totp_code") is shown there
        const ids: Record<string, string> =
          step === 'password' ? { email: 'login-email', password: 'login-password' } : { email: 'login-code', password: 'login-code', totp_code: 'login-code' };
        f.fromError(err, ids, s.network);
        if (err instanceof ApiError && err.status === 429 && err.retryAfter) {
          const id = step === 'password' ? 'login-email' : 'login-code';
          f.set([{ id, field: err.fields()[0] ?? 'email', message: `${err.problem.detail ?? err.message}. ${s.retry(err.retryAfter)}` }]);
        }
      }
    } finally {
      setBusy(false);
    }
  }

  function back() {
    setStep('password');
    setCode('');
    setEnrol(null);
    f.clear();
  }

  return (
    <section class="bs-narrow">
      <h1 class="utrecht-heading-1" ref={heading}>
        {s.title}
      </h1>
      {notice ? (
        <div class="utrecht-alert utrecht-alert--ok bs-notice" role="status">
          {notice}
        </div>
      ) : null}
      <form onSubmit={submit} noValidate>
        <ErrorSummary errors={f.errors} title={s.summary} />
        {step === 'password' ? (
          <>
            <Field id="login-email" label={s.email} type="email" autoComplete="username" required value={email} onValue={setEmail} error={f.at('email')} />
            <Field id="login-password" label={s.password} type="password" autoComplete="current-password" required value={password} onValue={setPassword} error={f.at('password')} />
            <SubmitButton busy={busy} busyLabel={s.busy}>
              {s.submit}
            </SubmitButton>
            <p class="utrecht-paragraph">
              <a href="/password-reset" onClick={linkClick}>
                {s.forgot}
              </a>
            </p>
          </>
        ) : (
          <>
            {step === 'enrol' && enrol ? (
              <>
                <h2 class="utrecht-heading-2">{s.enrolTitle}</h2>
                <p class="utrecht-paragraph">{s.enrolIntro}</p>
                <div class="bs-enrol">
                  <Qr uri={enrol.uri} alt={s.qrAlt} />
                  <dl class="bs-secret">
                    <dt>{s.secret}</dt>
                    <dd>
                      <code data-testid="totp-secret">{enrol.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
                    </dd>
                  </dl>
                </div>
              </>
            ) : (
              <h2 class="utrecht-heading-2">{s.codeTitle}</h2>
            )}
            <Field
              id="login-code"
              label={s.code}
              hint={s.codeHint}
              inputRef={codeRef}
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]*"
              maxLength={8}
              required
              value={code}
              onValue={setCode}
              error={f.at('totp_code') ?? f.at('password') ?? f.at('email')}
            />
            <div class="utrecht-button-group bs-buttons">
              <SubmitButton busy={busy} busyLabel={s.busy}>
                {step === 'enrol' ? s.confirm : s.submit}
              </SubmitButton>
              <button type="button" class="utrecht-button utrecht-button--secondary-action" onClick={back}>
                {s.back}
              </button>
            </div>
          </>
        )}
      </form>
      <p class="utrecht-paragraph bs-public-link">
        <a href="/public" onClick={linkClick}>
          {s.public}
        </a>
      </p>
    </section>
  );
}
