import { parseDefinition, PipelineDefinition } from '@kiln/definition';
import { Inject, Injectable } from '@nestjs/common';
import { SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { GitCacheService } from '../git/git-cache.service';

export type LoadedDefinition =
  | { ok: true; commitSha: string; definition: PipelineDefinition }
  | { ok: false; commitSha: string | null; error: string };

interface Source {
  projectId: string;
  repoUrl: string;
  yamlConfig: string | null;
  configPath: string;
}

/** Finds the commit to build and the definition to run: inline YAML or the file in that commit. */
@Injectable()
export class DefinitionLoaderService {
  constructor(
    private readonly git: GitCacheService,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {}

  async load(source: Source, gitRef: string, commitSha: string | undefined): Promise<LoadedDefinition> {
    let sha: string;
    try {
      sha = commitSha ?? (await this.git.resolveRef(source.projectId, source.repoUrl, gitRef));
    } catch (error) {
      return { ok: false, commitSha: null, error: `cannot resolve ${gitRef}: ${(error as Error).message}` };
    }
    let text = source.yamlConfig;
    if (text === null) {
      try {
        text = await this.git.readFile(source.projectId, source.repoUrl, sha, source.configPath);
      } catch (error) {
        return { ok: false, commitSha: sha, error: `cannot read ${source.configPath}: ${(error as Error).message}` };
      }
      if (text === null) return { ok: false, commitSha: sha, error: `${source.configPath} not found in commit ${sha}` };
    }
    const parsed = parseDefinition(text, {
      filename: source.configPath,
      resourceClasses: this.config.KILN_CIRCLECI_RESOURCE_CLASSES,
    });
    if (!parsed.ok) {
      const lines = parsed.errors.map((e) => `${source.configPath}:${e.line}:${e.column}: ${e.message}`);
      return { ok: false, commitSha: sha, error: `invalid pipeline definition:\n${lines.join('\n')}` };
    }
    return { ok: true, commitSha: sha, definition: parsed.definition };
  }
}
