import { ApiError } from '../api.js';

/** The API's issues (or any error) as a list the user can act on. */
export function Issues({ error }: { error: unknown }) {
  if (!error) return null;
  const issues = error instanceof ApiError ? error.issues : [{ code: 'error', path: [], message: String((error as Error).message ?? error) }];
  return (
    <div role="alert" className="card error issues">
      <b>{issues.length === 1 ? 'A problem with the scenario' : `${issues.length} problems with the scenario`}</b>
      <ul>
        {issues.map((i, k) => (
          <li key={k}>
            <code>{i.path.join('.') || '(root)'}</code> [{i.code}] {i.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function Warnings({ warnings }: { warnings: { code: string; message: string }[] }) {
  if (!warnings.length) return null;
  return (
    <div className="card warn" role="status">
      <b>Warnings</b>
      <ul>
        {warnings.map((w, k) => (
          <li key={k}>
            [{w.code}] {w.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
