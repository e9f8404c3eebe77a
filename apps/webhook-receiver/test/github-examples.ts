import examples from '@octokit/webhooks-examples';

export type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test payloads are edited freely

/** A deep copy of one of GitHub's example payloads (@octokit/webhooks-examples). */
export function githubExample(event: string, pick: (payload: Payload) => boolean = () => true): Payload {
  const found = examples.find((d) => d.name === event)?.examples.find((e) => pick(e as Payload));
  if (!found) throw new Error(`no ${event} example matches`);
  return structuredClone(found) as Payload;
}

/** The repository of most examples; a project for it receives them. */
export const HELLO_WORLD = {
  repoUrl: 'https://github.com/Codertocat/Hello-World.git',
  repoFullName: 'Codertocat/Hello-World',
};

/** A minimal valid inline definition, with an optional `on:` section (YAML lines under `pipeline:`). */
export function inlineDefinition(on = ''): string {
  return ['pipeline:', '  steps:', '    - name: test', '      image: node:20', '      commands: [npm test]', on]
    .filter(Boolean)
    .join('\n');
}
