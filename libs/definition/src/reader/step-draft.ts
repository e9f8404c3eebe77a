import { StepDefinition } from '../definition.model';
import { YamlNode } from '../yaml/yaml-node';
import type { MatrixSpec } from './matrix.reader';

/**
 * A step as read from either file format, with the nodes and paths the cross-step checks
 * (duplicates, unknown dependencies, cycles) need to point at the right place.
 */
export interface StepDraft {
  step: StepDefinition;
  node: YamlNode;
  /** Where the name is written; for CircleCI, the workflow entry. */
  nameNode: YamlNode;
  path: string;
  dependencies: Array<{ name: string; node: YamlNode }>;
  dependsOnPath: string;
  /** `matrix:` of a .platform.yaml step, expanded into one draft per combination after reading. */
  matrix?: MatrixSpec;
}

/** `step` in .platform.yaml messages, `job` in CircleCI ones, so errors use the file's own words. */
export type StepNoun = 'step' | 'job';
