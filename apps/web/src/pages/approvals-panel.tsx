import { useState } from 'preact/hooks';
import { ApprovalDecision, Role, Run, Step } from '@kiln/api-wire';
import { formatAgo } from '../format';
import { useSession } from '../session';

interface ApprovalsProps {
  run: Run;
  projectId: string;
  role: Role | undefined;
  /** Called once a decision was sent, so the run is read again at once. */
  onDecided(): void;
}

/** Approval steps waiting for a person (with Approve/Reject for writers), and the decisions taken. */
export function ApprovalsPanel({ run, projectId, role, onDecided }: ApprovalsProps) {
  const waiting = (run.steps ?? []).filter((s) => s.status === 'waiting');
  const decisions = run.approvals ?? [];
  if (!waiting.length && !decisions.length) return null;
  const canDecide = role === 'write' || role === 'admin';
  return (
    <section aria-labelledby="approvals-title" class="panel approvals">
      <h2 id="approvals-title">Approvals</h2>
      {waiting.map((step) =>
        canDecide ? (
          <DecideForm key={step.id} step={step} path={`/api/projects/${projectId}/runs/${run.id}`} onDecided={onDecided} />
        ) : (
          <p key={step.id}>
            <strong>{step.name}</strong> waits for approval by a project member with write access.
          </p>
        ),
      )}
      {decisions.length > 0 && (
        <ul class="rows" data-testid="approval-decisions">
          {decisions.map((d) => (
            <li key={`${d.step_id}-${d.at}`}>{describe(d, run.steps ?? [])}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

function DecideForm({ step, path, onDecided }: { step: Step; path: string; onDecided(): void }) {
  const { client } = useSession();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = `approval-comment-${step.id}`;

  const decide = async (decision: 'approve' | 'reject') => {
    setBusy(decision);
    setError(null);
    try {
      const text = comment.trim();
      await client.post(`${path}/steps/${step.id}/${decision}`, text ? { comment: text } : {});
      onDecided();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };

  return (
    <form class="form" aria-label={`Approve or reject ${step.name}`} onSubmit={(e) => e.preventDefault()}>
      <p>
        <strong>{step.name}</strong> waits for approval: the steps after it start once it is approved; a
        rejection fails it and the run.
      </p>
      <label for={id}>Comment (optional; shown as the reason of a rejection)</label>
      <textarea id={id} rows={2} maxLength={1000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      <div class="actions">
        <button type="button" disabled={busy !== null} onClick={() => decide('approve')}>
          {busy === 'approve' ? 'Approving…' : 'Approve'}
        </button>
        <button type="button" class="danger" disabled={busy !== null} onClick={() => decide('reject')}>
          {busy === 'reject' ? 'Rejecting…' : 'Reject'}
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function describe(d: ApprovalDecision, steps: Step[]): string {
  const name = steps.find((s) => s.id === d.step_id)?.name ?? 'a step';
  const verb = d.approved ? 'approved' : 'rejected';
  return `${name} ${verb} by ${d.by} ${formatAgo(d.at)}${d.comment ? `: “${d.comment}”` : ''}`;
}
