import { childPath, ProblemCollector } from '../problems/problem-collector';
import { FieldReader, valueOf } from '../reader/field.reader';
import { LineIndex } from '../yaml/line-index';
import { loadYaml } from '../yaml/yaml.loader';
import { isNullNode, YamlNode } from '../yaml/yaml-node';
import { CircleCiDefinitions, readReusables } from './circleci-definitions';

/**
 * The few orbs Kiln expands itself, written as CircleCI config with the orbs' own parameter
 * names (cache parameters are accepted and do nothing: Kiln's cache is a step key). Chosen
 * because their install steps are what most Node, Python and Rust configs start with.
 */
const SHIPPED_ORBS: Record<string, string> = {
  'circleci/node': `
executors:
  default:
    parameters:
      tag: { type: string, default: lts }
    docker: [{ image: 'cimg/node:<< parameters.tag >>' }]
commands:
  install-packages:
    parameters:
      pkg-manager: { type: enum, enum: [npm, yarn, yarn-berry, pnpm], default: npm }
      app-dir: { type: string, default: . }
      override-ci-command: { type: string, default: '' }
      cache-path: { type: string, default: '' }
      cache-version: { type: string, default: v1 }
      cache-only-lockfile: { type: boolean, default: true }
      include-branch-in-cache-key: { type: boolean, default: true }
      with-cache: { type: boolean, default: true }
      check-cache: { type: string, default: never }
    steps:
      - run:
          name: Install packages
          working_directory: << parameters.app-dir >>
          command: |
            if [ -n "<< parameters.override-ci-command >>" ]; then << parameters.override-ci-command >>
            elif [ "<< parameters.pkg-manager >>" = npm ]; then npm ci
            elif [ "<< parameters.pkg-manager >>" = pnpm ]; then pnpm install --frozen-lockfile
            elif [ "<< parameters.pkg-manager >>" = yarn-berry ]; then yarn install --immutable
            else yarn install --frozen-lockfile; fi
`,
  'circleci/python': `
executors:
  default:
    parameters:
      tag: { type: string, default: '3.12' }
    docker: [{ image: 'cimg/python:<< parameters.tag >>' }]
commands:
  install-packages:
    parameters:
      pkg-manager: { type: enum, enum: [pip, pipenv, poetry, pip-dist], default: pipenv }
      app-dir: { type: string, default: . }
      pip-dependency-file: { type: string, default: requirements.txt }
      args: { type: string, default: '' }
      path-args: { type: string, default: . }
      cache-version: { type: string, default: v1 }
      pypi-cache: { type: boolean, default: true }
      venv-cache: { type: boolean, default: true }
      include-branch-in-cache-key: { type: boolean, default: true }
      include-python-in-cache-key: { type: boolean, default: true }
    steps:
      - run:
          name: Install packages
          working_directory: << parameters.app-dir >>
          command: |
            case "<< parameters.pkg-manager >>" in
              pip) if [ -n "<< parameters.args >>" ]; then pip install << parameters.args >>; else pip install -r << parameters.pip-dependency-file >>; fi ;;
              pip-dist) pip install << parameters.path-args >> << parameters.args >> ;;
              poetry) poetry install << parameters.args >> ;;
              *) pipenv install --dev << parameters.args >> ;;
            esac
`,
  'circleci/rust': `
commands:
  install:
    parameters:
      version: { type: string, default: stable }
    steps:
      - run:
          name: Install Rust
          command: |
            if ! command -v rustup >/dev/null 2>&1; then
              curl --proto '=https' -sSf https://sh.rustup.rs | sh -s -- -y --default-toolchain << parameters.version >>
            else rustup toolchain install << parameters.version >> && rustup default << parameters.version >>; fi
`,
};

export const SHIPPED_ORB_NAMES = Object.keys(SHIPPED_ORBS);

/**
 * Reads `orbs`: inline orbs and the shipped ones are expanded under their local name
 * (`node/install-packages`); any other orb is one error here and its uses are left silent.
 */
export function readOrbs(
  node: YamlNode | undefined,
  definitions: CircleCiDefinitions,
  reader: FieldReader,
): void {
  if (!node || isNullNode(node)) return;
  const mapping = reader.mapping(node, 'orbs', 'a mapping of orb names to orbs');
  for (const { key, keyNode, value } of mapping?.entries ?? []) {
    const path = childPath('orbs', key);
    if (value.kind === 'mapping') {
      readOrbBody(value, path, key, definitions, reader, false);
      continue;
    }
    const reference = reader.string(value, path) ?? '';
    const source = SHIPPED_ORBS[reference.split('@')[0]];
    if (source) {
      readOrbBody(shippedTree(source, value), path, key, definitions, quietReader(), true);
      continue;
    }
    definitions.unknownOrbs.add(key);
    const shipped = SHIPPED_ORB_NAMES.join(', ');
    reader.problems.error(
      path,
      keyNode,
      `orb "${reference}" has no Kiln equivalent (Kiln expands ${shipped}); replace its steps, jobs and executors with "run" steps and "docker" images`,
    );
  }
}

function readOrbBody(
  body: YamlNode,
  path: string,
  prefix: string,
  definitions: CircleCiDefinitions,
  reader: FieldReader,
  shipped: boolean,
): void {
  const mapping = reader.mapping(body, path, 'an orb reference or an inline orb');
  if (!mapping) return;
  reader.keys(mapping, path, [
    'version',
    'description',
    'display',
    'orbs',
    'commands',
    'executors',
    'jobs',
    'examples',
  ]);
  for (const kind of ['commands', 'executors', 'jobs'] as const) {
    readReusables(valueOf(mapping, kind), childPath(path, kind), reader, definitions[kind], {
      prefix,
      shipped,
    });
  }
}

/**
 * Parses a shipped orb and places every node at the `orbs:` entry that names it, so a problem
 * found while expanding it (a bad argument) points at the user's file, not at Kiln's text.
 */
function shippedTree(source: string, at: YamlNode): YamlNode {
  const loaded = loadYaml(source);
  if (!loaded.ok || !loaded.root)
    throw new Error(`shipped orb does not parse: ${loaded.ok ? 'empty' : loaded.message}`);
  return rebase(loaded.root, at.offset);
}

function rebase(node: YamlNode, offset: number): YamlNode {
  if (node.kind === 'scalar') return { ...node, offset };
  if (node.kind === 'sequence')
    return { ...node, offset, items: node.items.map((item) => rebase(item, offset)) };
  return {
    ...node,
    offset,
    entries: node.entries.map((e) => ({
      ...e,
      keyNode: { ...e.keyNode, offset },
      value: rebase(e.value, offset),
    })),
  };
}

/** Shipped orbs are checked by their tests; reading them must not add problems to the user's file. */
function quietReader(): FieldReader {
  return new FieldReader(new ProblemCollector(new LineIndex('')));
}
