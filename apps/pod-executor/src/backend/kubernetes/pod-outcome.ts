import type {
  V1ContainerStateTerminated,
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
} from '@kubernetes/client-node';
import { StepExit } from '../backend';
import { ANNOTATION, CHECKOUT_CONTAINER, STEP_CONTAINER } from './names';

export interface OutcomeContext {
  /** The pod no longer exists; `pod` is its last known state. */
  gone: boolean;
  /** This executor deleted the pod (kill) before its step container had ended. */
  killed: boolean;
  /** The step container ended a while ago and the pod phase still lags: decide without it. */
  settled: boolean;
  /** The last ErrImagePull message seen per container (the back-off state may not repeat it). */
  pullErrors?: Record<string, string>;
  /** A container has been in ErrImagePull for long without the kubelet backing off: decide now. */
  pullStalled?: boolean;
  /** The pod has been unschedulable for longer than the executor waits (KILN_K8S_SCHEDULE_TIMEOUT). */
  unschedulable?: boolean;
}

/**
 * Image states that end the step. ErrImagePull is one failed attempt: the kubelet reports
 * ImagePullBackOff right after it while it waits to retry, so the step ends there — with the
 * reason users know and the registry's answer — or on an ErrImagePull that stalls.
 */
const PULL_FAILURES = new Set(['ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CREATE_FAILURES = new Set([
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'PreCreateHookError',
]);
const EVICTIONS = new Set([
  'EvictionByEvictionAPI',
  'PreemptionByScheduler',
  'PreemptionByKubeScheduler',
  'TerminationByKubelet',
]);

/**
 * How a step pod's state ends the step, or undefined while it is still going. The order matters:
 * a pod lost with its node, evicted or deleted by someone else is a failure with that reason even
 * when its container reports an exit code (often 0 or 143) — never a success.
 */
export function podOutcome(pod: V1Pod, ctx: OutcomeContext): StepExit | undefined {
  const status = pod.status ?? {};
  const step = containerStatus(status.containerStatuses, STEP_CONTAINER);
  const init = containerStatus(status.initContainerStatuses, CHECKOUT_CONTAINER);
  const terminated = step?.state?.terminated;
  const disruption = condition(status.conditions, 'DisruptionTarget');
  const deleting = Boolean(pod.metadata?.deletionTimestamp) || ctx.gone;

  if (ctx.killed) {
    if (!terminated && !ctx.gone && !isFinished(status.phase)) return undefined;
    const exitCode = terminated?.exitCode ?? null;
    return { exitCode, signal: exitCode === null || exitCode === 137 ? 'SIGKILL' : 'SIGTERM' };
  }
  if (
    status.reason === 'NodeLost' ||
    status.phase === 'Unknown' ||
    disruption?.reason === 'DeletionByTaintManager'
  ) {
    const node = pod.spec?.nodeName ? `node ${pod.spec.nodeName}` : 'its node';
    return {
      exitCode: null,
      error: `node lost: ${node} stopped responding while the step ran, and the pod was evicted`,
    };
  }
  if (
    (status.reason === 'Evicted' || (disruption && EVICTIONS.has(disruption.reason ?? ''))) &&
    status.phase !== 'Succeeded'
  ) {
    const why = status.message || disruption?.message || disruption?.reason || 'no reason given';
    return { exitCode: null, error: `pod evicted: ${why}` };
  }
  if (terminated) {
    if (deleting && terminated.exitCode !== 0) return deleted();
    if (terminated.reason === 'OOMKilled') {
      const limit = pod.spec?.containers?.find((c) => c.name === STEP_CONTAINER)?.resources?.limits?.memory;
      return {
        exitCode: terminated.exitCode ?? 137,
        error: `OOMKilled: the step used more memory than its limit${limit ? ` of ${limit}` : ''}`,
      };
    }
    // A pod with services keeps running after its step, so its phase says nothing about a step
    // that succeeded; a failure still waits a moment for a deadline's reason.
    const alone = (pod.spec?.containers?.length ?? 1) === 1;
    const phaseMatters = alone || terminated.exitCode !== 0;
    if (phaseMatters && !isFinished(status.phase) && !ctx.settled && !deleting) return undefined;
    if (status.reason === 'DeadlineExceeded') return deadlineExceeded(pod);
    if (terminated.reason && !['Completed', 'Error'].includes(terminated.reason)) {
      return {
        exitCode: terminated.exitCode,
        error: `${terminated.reason}: ${terminated.message ?? 'the container could not run'}`,
      };
    }
    return { exitCode: terminated.exitCode, ...pushedImage(pod, terminated) };
  }
  const initEnd = init?.state?.terminated;
  if (initEnd && initEnd.exitCode !== 0) {
    // A checkout killed (137) may be the pod's deadline at work: its reason comes with the phase.
    if (initEnd.exitCode === 137 && !isFinished(status.phase) && !deleting) return undefined;
    if (status.reason === 'DeadlineExceeded') return deadlineExceeded(pod);
    const reason = initEnd.reason === 'OOMKilled' ? ', out of memory' : '';
    return {
      exitCode: null,
      error: `checking the repository out failed (exit code ${initEnd.exitCode}${reason}); see the log`,
    };
  }
  if (deleting) return deleted();
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (ctx.unschedulable && !pod.spec?.nodeName && scheduled) return unschedulable(scheduled);
  // A service's image counts as the step's: the step would run without it.
  for (const container of [init, step, ...(status.containerStatuses ?? [])]) {
    const waiting = container?.state?.waiting;
    const reason = waiting?.reason;
    if (reason && (PULL_FAILURES.has(reason) || (reason === 'ErrImagePull' && ctx.pullStalled))) {
      const cause = ctx.pullErrors?.[container!.name];
      const said = [waiting.message, cause && !waiting.message?.includes(cause) ? cause : undefined];
      return {
        exitCode: null,
        error:
          `image pull failed (${reason}) for "${container!.image}": ${said.filter(Boolean).join('; ')}`.trim(),
      };
    }
    if (waiting?.reason && CREATE_FAILURES.has(waiting.reason)) {
      return {
        exitCode: null,
        error: `the container could not be created (${waiting.reason}): ${waiting.message ?? ''}`.trim(),
      };
    }
  }
  if (status.reason === 'DeadlineExceeded') return deadlineExceeded(pod);
  if (status.phase === 'Failed') {
    return {
      exitCode: null,
      error: `pod failed${status.reason ? ` (${status.reason})` : ''}: ${status.message ?? 'no message'}`,
    };
  }
  return undefined;
}

/** A build pod that ended well reports its image with the digest kaniko wrote as termination message. */
function pushedImage(
  pod: V1Pod,
  terminated: V1ContainerStateTerminated,
): Pick<StepExit, 'pushedImage' | 'error'> {
  const imageRef = pod.metadata?.annotations?.[ANNOTATION.imageRef];
  if (!imageRef || terminated.exitCode !== 0) return {};
  const digest = terminated.message?.trim() ?? '';
  if (!/^sha256:[a-f0-9]{64}$/.test(digest))
    return {
      error: `the image build ended without the pushed image's digest (termination message "${digest.slice(0, 100)}")`,
    };
  return { pushedImage: `${imageRef}@${digest}` };
}

function unschedulable(scheduled: V1PodCondition): StepExit {
  const message = scheduled.message ?? 'no node fits it';
  // The run's workspace claim is the only one a step pod mounts.
  const claimHint = /unbound .*PersistentVolumeClaims|persistentvolumeclaim .* not found/.test(message)
    ? " (the run's workspace volume claim is not bound: is there a default StorageClass, or is KILN_K8S_STORAGE_CLASS right?)"
    : '';
  return {
    exitCode: null,
    error: `the step pod could not be scheduled (${scheduled.reason ?? 'Unschedulable'}): ${message}${claimHint}`,
  };
}

function deleted(): StepExit {
  return {
    exitCode: null,
    error: 'pod deleted: the step pod was deleted by someone else before the step finished',
  };
}

function deadlineExceeded(pod: V1Pod): StepExit {
  const seconds = pod.spec?.activeDeadlineSeconds;
  return {
    exitCode: null,
    error: `the pod ran past its deadline (activeDeadlineSeconds ${seconds ?? '?'}) and was stopped`,
  };
}

export function isFinished(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

export function containerStatus(
  list: V1ContainerStatus[] | undefined,
  name: string,
): V1ContainerStatus | undefined {
  return list?.find((s) => s.name === name);
}

function condition(list: V1PodCondition[] | undefined, type: string): V1PodCondition | undefined {
  return list?.find((c) => c.type === type && c.status === 'True');
}
