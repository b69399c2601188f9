import type { Problem } from '../api/errors.js';

const TITLES: Record<Problem['kind'], string> = {
  unreachable: 'The shop cannot be reached',
  unauthenticated: 'Please sign in again',
  forbidden: 'Not allowed',
  unavailable: 'Temporarily unavailable',
  invalid: 'Please check what you entered',
  conflict: 'That clashes with something that exists',
  unexpected: 'Something went wrong',
};

/** A failure, said plainly, with a way forward: never a blank page. */
export function ErrorNotice({ problem, onRetry }: { problem: Problem; onRetry?: (() => void) | undefined }) {
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{TITLES[problem.kind]}</p>
      <p>{problem.message}</p>
      {problem.kind === 'unauthenticated' ? <a href="#/sign-in">Sign in</a> : null}
      {onRetry && problem.kind !== 'unauthenticated' ? (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
