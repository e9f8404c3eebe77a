import { ArtifactSpec, RunFinishedEvent } from '@kiln/contracts';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Backend, BACKEND } from '../backend/backend';
import { EXECUTOR_CONFIG, ExecutorConfig } from '../config';
import { ExecutorMetrics } from '../metrics/executor-metrics';
import { artifactFiles, ArtifactPathError } from './artifact-files';
import { ArtifactUploadError, uploadArtifactFile } from './artifact-uploader';

/**
 * After a run: hands the definition's artifacts from the workspace to the artifact-service, then
 * removes the workspace. Cancelled runs keep no artifacts. A transient upload failure is thrown, so
 * the message is redelivered; files stored on an earlier delivery answer 409 and are skipped.
 */
@Injectable()
export class RunArtifactsService {
  private readonly logger = new Logger(RunArtifactsService.name);

  constructor(
    private readonly metrics: ExecutorMetrics,
    @Inject(BACKEND) private readonly backend: Backend,
    @Inject(EXECUTOR_CONFIG) private readonly config: ExecutorConfig,
  ) {}

  /** `progress` is called after each file, so a long upload is not taken for a stuck one. */
  async runFinished(event: RunFinishedEvent, progress: () => void = () => undefined): Promise<void> {
    const wanted = event.status === 'cancelled' ? [] : event.artifacts;
    // Only what is wanted is asked for: the kubernetes backend copies it out of the run's volume.
    const workspace =
      wanted.length > 0
        ? await this.backend.workspaceDir(
            event.runId,
            wanted.map((a) => a.path),
          )
        : null;
    if (workspace) {
      for (const artifact of wanted) await this.collect(event, workspace, artifact, progress);
    }
    await this.backend.destroyRun(event.runId);
  }

  private async collect(
    event: RunFinishedEvent,
    workspace: string,
    artifact: ArtifactSpec,
    progress: () => void,
  ): Promise<void> {
    const fields = { runId: event.runId, artifact: artifact.name, path: artifact.path };
    let found;
    try {
      found = await artifactFiles(workspace, artifact.path);
    } catch (error) {
      if (!(error instanceof ArtifactPathError)) throw error;
      this.metrics.artifacts.inc({ result: 'refused' });
      this.logger.warn({ ...fields, reason: error.message }, 'artifact path refused');
      return;
    }
    if (found.missing) this.logger.warn(fields, 'artifact path not found in the workspace');
    for (const skipped of found.skipped) {
      this.metrics.artifacts.inc({ result: 'refused' });
      this.logger.warn(
        { ...fields, file: skipped.relativePath, reason: skipped.reason },
        'artifact file skipped',
      );
    }
    for (const file of found.files) {
      try {
        const target = {
          baseUrl: this.config.KILN_ARTIFACT_SERVICE_URL,
          internalToken: this.config.KILN_INTERNAL_TOKEN,
        };
        const result = await uploadArtifactFile(target, {
          runId: event.runId,
          projectId: event.projectId,
          artifactName: artifact.name,
          file,
          expiresMs: artifact.expiresMs,
          report: artifact.report,
        });
        this.metrics.artifacts.inc({ result });
        progress();
      } catch (error) {
        if (!(error instanceof ArtifactUploadError) || error.retryable) throw error;
        this.metrics.artifacts.inc({ result: 'failed' });
        this.logger.error(
          { ...fields, file: file.relativePath, reason: error.message },
          'artifact file not accepted',
        );
      }
    }
    this.logger.log({ ...fields, files: found.files.length }, 'artifact collected');
  }
}
