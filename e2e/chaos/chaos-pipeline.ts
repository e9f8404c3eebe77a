import { TestGitRepo } from '@kiln/testing';

/** Numbered lines each step of the diamond prints (`<step>-line 1` … `<step>-line N`). */
export const STEP_LINES = 20;
export const DIAMOND = ['a', 'b', 'c', 'd'];
export const FLOOD_LINES = 40_000;

const numbered = (step: string) =>
  `for i in $(seq 1 ${STEP_LINES}); do echo "${step}-line $i"; sleep 0.03; done`;

/** a → (b, c) → d, each printing numbered lines over more than half a second; d leaves an artifact. */
export const diamond = (image: string) => `pipeline:
  steps:
    - name: a
      image: ${image}
      commands: ['${numbered('a')}']
    - name: b
      image: ${image}
      depends_on: [a]
      commands: ['${numbered('b')}']
    - name: c
      image: ${image}
      depends_on: [a]
      commands: ['${numbered('c')}']
    - name: d
      image: ${image}
      depends_on: [b, c]
      commands: ['${numbered('d')}', 'echo "run $RUN_ID" > out.txt']
  artifacts:
    - { name: out, path: out.txt }
`;

export const diamondDefinition = diamond('alpine:3');

/** One step printing far more than the executor's per-step log cap. */
export const floodDefinition = `pipeline:
  steps:
    - name: flood
      image: alpine:3
      commands: ["seq 1 ${FLOOD_LINES} | sed 's/^/flood-line /'"]
`;

/**
 * A push of `sha`. `pushId` makes the body of each push its own: the receiver answers a body it
 * accepted before as a replay of that delivery, whatever the delivery id (a provider's redelivery
 * repeats the body with the same id).
 */
export function pushPayload(repo: TestGitRepo, sha: string, pushId: string) {
  return {
    ref: 'refs/heads/main',
    before: '0'.repeat(40),
    after: sha,
    created: false,
    deleted: false,
    forced: false,
    repository: { id: 7, name: 'chaos', full_name: 'acme/chaos', clone_url: repo.url, html_url: repo.url, default_branch: 'main' },
    pusher: { name: 'chaos', email: 'chaos@example.com' },
    sender: { login: 'chaos', id: 7 },
    head_commit: { id: sha, message: `chaos ${pushId}`, timestamp: new Date().toISOString() },
    commits: [{ id: sha, message: 'chaos' }],
  };
}
