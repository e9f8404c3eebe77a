/**
 * Hard limits that keep hostile input cheap: every check below runs before or while the YAML is
 * turned into nodes, so a file that breaks one ends in a single clear error within milliseconds.
 */
export const DEFINITION_LIMITS = {
  /** 1 MiB: a 1000-step definition is about 200 KiB, so this leaves room without allowing huge uploads. */
  maxSourceBytes: 1024 * 1024,
  /** Nesting of mappings and sequences, counting what aliases pull in. A real definition is ~6 deep. */
  maxDepth: 64,
  /** Alias uses (`*name`) in one file; CircleCI files use a handful for shared defaults. */
  maxAliases: 100,
  /** Nodes that alias uses add in total when expanded; this is what stops "billion laughs". */
  maxAliasExpansion: 10_000,
  /** Steps (or CircleCI jobs) in one pipeline. */
  maxSteps: 1000,
  /** Problems reported for one file; after that a final entry says how many were left out. */
  maxProblems: 100,
} as const;

export type DefinitionLimits = typeof DEFINITION_LIMITS;
