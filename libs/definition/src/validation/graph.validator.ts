import { findCycles } from '../dag/dag-cycles';
import { suggestion } from '../problems/did-you-mean';
import { ProblemCollector } from '../problems/problem-collector';
import { StepDraft, StepNoun } from '../reader/step-draft';

/** Checks that need every step at once: unique names, dependencies that exist, no self-edges, no cycles. */
export function validateStepGraph(drafts: StepDraft[], problems: ProblemCollector, noun: StepNoun): void {
  const byName = new Map<string, StepDraft>();
  for (const draft of drafts) {
    const name = draft.step.name;
    if (!name) continue;
    const first = byName.get(name);
    if (first) {
      const where = `${first.path} at line ${problems.lineOf(first.nameNode)}`;
      problems.error(draft.path, draft.nameNode, `duplicate ${noun} name "${name}" (first used by ${where})`);
    } else {
      byName.set(name, draft);
    }
  }
  for (const draft of drafts) checkDependencies(draft, byName, problems, noun);
  const graph = [...byName.values()].map((draft) => ({
    name: draft.step.name,
    dependsOn: draft.step.dependsOn.filter((dependency) => dependency !== draft.step.name),
  }));
  for (const cycle of findCycles(graph)) {
    const draft = byName.get(cycle[0]) as StepDraft;
    const edge = draft.dependencies.find((dependency) => dependency.name === cycle[1]);
    problems.error(draft.dependsOnPath, edge?.node ?? draft.node, `dependency cycle: ${cycle.join(' -> ')}`);
  }
}

function checkDependencies(
  draft: StepDraft,
  byName: Map<string, StepDraft>,
  problems: ProblemCollector,
  noun: StepNoun,
): void {
  const seen = new Set<string>();
  for (const { name, node } of draft.dependencies) {
    if (seen.has(name)) {
      problems.error(draft.dependsOnPath, node, `"${name}" is listed more than once`);
      continue;
    }
    seen.add(name);
    if (name === draft.step.name) {
      problems.error(draft.dependsOnPath, node, `${noun} "${name}" cannot depend on itself`);
    } else if (!byName.has(name)) {
      const hint = problems.full ? '' : suggestion(name, byName.keys());
      problems.error(draft.dependsOnPath, node, `unknown ${noun} "${name}"${hint}`);
    }
  }
}
