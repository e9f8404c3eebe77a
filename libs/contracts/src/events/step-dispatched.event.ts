import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

/** A build step's image: built from `context` in the run's workspace, pushed as `imageRef`. */
export class StepBuildRequest {
  /** Relative to the workspace, inside it (`.` is the workspace). */
  @IsString() @MaxLength(1000) context!: string;
  /** Relative to the context. */
  @IsString() @MaxLength(1000) dockerfile!: string;
  /** `$KILN_REGISTRY/<project name>:<commit sha>`, computed by the scheduler. */
  @IsString() @MaxLength(600) imageRef!: string;
}

export class StepResources {
  @IsOptional() @IsString() cpu?: string;
  @IsOptional() @IsString() memory?: string;
}

/** A service's `wait_for`: the TCP port that must accept connections before the step starts. */
export class ServiceWaitFor {
  @IsInt() @Min(1) @Max(65535) port!: number;
  @IsInt() @Min(1) timeoutMs!: number;
}

/** A container started before the step in its network namespace (a database, a cache). */
export class StepServiceRequest {
  @IsString() @MaxLength(63) name!: string;
  @IsString() @MaxLength(600) image!: string;
  @IsObject() environment!: Record<string, string>;
  @IsOptional() @IsArray() @IsString({ each: true }) commands?: string[];
  /** The step starts once this port accepts connections on localhost, or fails after `timeoutMs`. */
  @IsOptional() @ValidateNested() @Type(() => ServiceWaitFor) waitFor?: ServiceWaitFor;
}

/** A `cache:` entry as written: the executor renders the key templates in the step's workspace. */
export class StepCacheRequest {
  @IsString() @MaxLength(200) key!: string;
  @IsArray() @IsString({ each: true }) restoreKeys!: string[];
  /** Relative to the workspace and inside it (validated with the definition). */
  @IsArray() @IsString({ each: true }) paths!: string[];
}

/** A toleration from the step's `tolerations` (the kubernetes backend checks it against its allow-list). */
export class StepTolerationRequest {
  @IsString() @MaxLength(317) key!: string;
  @IsIn(['Equal', 'Exists']) operator!: 'Equal' | 'Exists';
  @IsOptional() @IsString() @MaxLength(63) value?: string;
  @IsOptional() @IsIn(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) effect?:
    'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** Registry auth for pulling the step's image (a project's credential for the image's host). */
export class RegistryCredential {
  /** `host[:port]` as image names carry it. */
  @IsString() server!: string;
  @IsString() username!: string;
  @IsString() password!: string;
}

/**
 * Run one step. Carries everything an executor needs (so executors need no database access).
 * Secret values never travel in the clear: the scheduler puts them in `sealed` (a StepSecrets
 * encrypted with KILN_EXECUTOR_KEY), which the executor opens at step start.
 */
export class StepDispatchedEvent {
  @IsIn([1]) version!: 1;
  @IsUUID() runId!: string;
  @IsUUID() stepId!: string;
  @IsUUID() projectId!: string;
  @IsString() projectName!: string;
  @IsString() stepName!: string;
  @IsInt() @Min(1) attempt!: number;
  @IsString() @MaxLength(4000) repoUrl!: string;
  @IsString() commitSha!: string;
  @IsString() gitRef!: string;
  @IsString() image!: string;
  @IsArray() @IsString({ each: true }) commands!: string[];
  /** Set on a build step (whose image and commands are empty): what to build and where to push it. */
  @IsOptional() @ValidateNested() @Type(() => StepBuildRequest) build?: StepBuildRequest;
  /** Injected variables and the definition environment, merged; variables holding secrets are in `sealed`. */
  @IsObject() env!: Record<string, string>;
  /** Values to replace in logs besides the sealed ones (the scheduler sends none in the clear). */
  @IsArray() @IsString({ each: true }) maskValues!: string[];
  /** `sealStepSecrets` of the step's secret variables and mask values; absent when the step has none. */
  @IsOptional() @IsString() sealed?: string;
  @IsInt() @Min(1) timeoutMs!: number;
  /** The step's `no_output_timeout`: killed once it printed nothing for this long; absent: no such limit. */
  @IsOptional() @IsInt() @Min(1) noOutputTimeoutMs?: number;
  @IsOptional() @ValidateNested() @Type(() => StepResources) resources?: StepResources;
  /** `uid[:gid]` from the step's `user:`; unset: the executor's default. */
  @IsOptional() @Matches(/^[0-9]{1,10}(:[0-9]{1,10})?$/) user?: string;
  /** The step's `node_selector` (node label: value); absent when it has none. */
  @IsOptional() @IsObject() nodeSelector?: Record<string, string>;
  /** The step's `tolerations`; absent when it has none. */
  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => StepTolerationRequest)
  tolerations?: StepTolerationRequest[];
  @IsBoolean() deploy!: boolean;
  /** The step's `services`, started before it and removed after it; absent when it has none. */
  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => StepServiceRequest)
  services?: StepServiceRequest[];
  /** The step's `cache` entries: restored before it, saved after it succeeded; absent when it has none. */
  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => StepCacheRequest)
  cache?: StepCacheRequest[];
  /**
   * Credentials for the registry of `image`. The scheduler sends them sealed (StepSecrets), never
   * here; the field stays for dispatches of earlier schedulers.
   */
  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => RegistryCredential)
  registryCredentials?: RegistryCredential[];
}
