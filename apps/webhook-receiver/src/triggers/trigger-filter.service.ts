import { ForgeEvent } from '@kiln/forge';
import { matchesMergeRequest, matchesPush, parseDefinition, ParseResult } from '@kiln/definition';
import { Injectable } from '@nestjs/common';
import { TargetPipeline } from '../projects/webhook-target';

/** Whether one pipeline runs for an event, and why. */
export type FilterDecision =
  | { run: true; applyTriggerFilters: boolean; reason: string }
  | { run: false; reason: string };

const CACHE_SIZE = 1000;

/**
 * Applies a pipeline's `on:` filters (branches, tags, merge request actions) to an event. Inline
 * definitions are decided here, parsed once per pipeline version; definitions that live in the
 * repository are only known at the pushed commit, so the scheduler decides after reading them.
 */
@Injectable()
export class TriggerFilterService {
  private readonly parsed = new Map<string, { updatedAt: number; result: ParseResult }>();

  decide(pipeline: TargetPipeline, event: ForgeEvent): FilterDecision {
    if (pipeline.yamlConfig === null) {
      return {
        run: true,
        applyTriggerFilters: true,
        reason: `its definition is read from ${pipeline.configPath} at the commit; the scheduler applies its filters`,
      };
    }
    const result = this.definitionOf(pipeline, pipeline.yamlConfig);
    if (!result.ok) {
      const first = result.errors[0];
      return { run: false, reason: `its inline definition is invalid (line ${first.line}: ${first.message})` };
    }
    const match =
      event.kind === 'merge_request'
        ? matchesMergeRequest(result.definition.on, event.action ?? '')
        : matchesPush(result.definition.on, { branch: event.branch, tag: event.tag });
    return match.matched ? { run: true, applyTriggerFilters: false, reason: match.reason } : { run: false, reason: match.reason };
  }

  private definitionOf(pipeline: TargetPipeline, yaml: string): ParseResult {
    const updatedAt = pipeline.updatedAt.getTime();
    const cached = this.parsed.get(pipeline.id);
    if (cached?.updatedAt === updatedAt) return cached.result;
    const result = parseDefinition(yaml);
    this.parsed.delete(pipeline.id);
    this.parsed.set(pipeline.id, { updatedAt, result });
    // Maps keep insertion order: the first key is the least recently parsed pipeline.
    if (this.parsed.size > CACHE_SIZE) this.parsed.delete(this.parsed.keys().next().value!);
    return result;
  }
}
