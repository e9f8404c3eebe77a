/** Labels and annotations the backend puts on what it creates; selectors and the sweep rely on them. */
export const LABEL = {
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  run: 'kiln.dev/run',
  step: 'kiln.dev/step',
  stepId: 'kiln.dev/step-id',
  attempt: 'kiln.dev/attempt',
  project: 'kiln.dev/project',
  executor: 'kiln.dev/executor',
} as const;

export const MANAGED_BY = 'kiln';

export const ANNOTATION = {
  stepName: 'kiln.dev/step-name',
  /** On a build step's pod: the image kaniko pushes; with the digest it writes, the step's pushed image. */
  imageRef: 'kiln.dev/image-ref',
  /** On the run owner: when an executor last started something for the run (ISO time). */
  lastActive: 'kiln.dev/last-active',
} as const;

/** Keys of the run owner's data, shared by every executor working on the run. */
export const OWNER_DATA = {
  /** The node the run's ReadWriteOnce volume is attached to. */
  node: 'node',
  /** "done" once an init container has checked the repository out. */
  checkout: 'checkout',
} as const;

export const STEP_CONTAINER = 'step';
export const CHECKOUT_CONTAINER = 'checkout';

/**
 * A service's container in its step's pod: a DNS label however the service is named (a service
 * name may hold `_` and `.`), its position keeping two similar names apart.
 */
export function serviceContainerName(index: number, service: string): string {
  const label = service.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return `service-${index}-${label}`.slice(0, 63).replace(/-+$/, '');
}
export const COLLECT_CONTAINER = 'collect';
export const WORKSPACE_VOLUME = 'workspace';

export type Component = 'run' | 'step' | 'collect';

/** The per-run object every other object of the run is owned by: deleting it collects them all. */
export const ownerName = (runId: string) => `kiln-run-${runId}`;
export const claimName = (runId: string) => `kiln-ws-${runId}`;
export const checkoutSecretName = (runId: string) => `kiln-run-${runId}-checkout`;
export const registrySecretName = (runId: string) => `kiln-run-${runId}-registry`;
export const envSecretName = (podName: string) => `${podName}-env`;
export const servicesSecretName = (podName: string) => `${podName}-services`;

/** Selects every object of one run. */
export const runSelector = (runId: string) => `${LABEL.managedBy}=${MANAGED_BY},${LABEL.run}=${runId}`;

/** Selects everything this backend manages in the namespace. */
export const managedSelector = `${LABEL.managedBy}=${MANAGED_BY}`;

/** A label value from free text: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}
