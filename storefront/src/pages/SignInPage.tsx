import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Field } from '../components/Field.js';
import { navigate } from '../router.js';
import { devSignIn, listDevIdentities, type DevIdentity } from '../session/dev-sign-in.js';
import { readClaims, useSession } from '../session/session-store.js';

/**
 * Sign-in. This shop has no identity provider: in development the router
 * signs a token for the demo customer or the admin in one click; otherwise a
 * token from your identity provider (or `npm run token`) is pasted here.
 */
export function SignInPage() {
  const signIn = useSession((session) => session.signIn);
  const identities = useQuery({ queryKey: ['dev-identities'], queryFn: listDevIdentities, retry: false });
  const [token, setToken] = useState('');
  const [tokenError, setTokenError] = useState<string>();
  const [devError, setDevError] = useState<string>();

  async function signInAs(identity: DevIdentity['identity']) {
    try {
      signIn(await devSignIn(identity));
      navigate(identity === 'admin' ? '/admin' : '/');
    } catch (error) {
      setDevError(error instanceof Error ? error.message : String(error));
    }
  }

  function submitToken(event: FormEvent) {
    event.preventDefault();
    try {
      readClaims(token.trim());
      signIn(token.trim());
      navigate('/');
    } catch {
      setTokenError('That is not a JWT: expected three base64url parts separated by dots.');
    }
  }

  return (
    <>
      <h1>Sign in</h1>
      {identities.data && identities.data.length > 0 ? (
        <section aria-labelledby="dev-sign-in">
          <h2 id="dev-sign-in">Development sign-in</h2>
          <p className="hint">The router is in development mode: sign in as a demo identity with one click.</p>
          <div className="button-row">
            {identities.data.map(({ identity, label }) => (
              <button key={identity} type="button" onClick={() => void signInAs(identity)}>
                Sign in as {label}
              </button>
            ))}
          </div>
          {devError ? <p className="field-error">{devError}</p> : null}
        </section>
      ) : null}
      {identities.isError ? <ErrorNotice problem={{ kind: 'unreachable', message: 'The development sign-in could not be reached. You can still paste a token below.' }} /> : null}
      <section aria-labelledby="token-sign-in">
        <h2 id="token-sign-in">With a token</h2>
        <form className="form" onSubmit={submitToken}>
          <Field label="Access token (JWT)" name="token" value={token} onChange={(event) => setToken(event.currentTarget.value)} error={tokenError} hint="npm run token -- --sub bob" autoComplete="off" />
          <button type="submit">Sign in</button>
        </form>
      </section>
    </>
  );
}
