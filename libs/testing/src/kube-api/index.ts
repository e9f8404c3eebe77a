export { KubeApiSimulator, startKubeApiSimulator } from './kube-api-simulator';
export type { KubeApiSimulatorOptions } from './kube-api-simulator';
export type { KubeObject, ResourceName } from './kube-object';
export type { AdmissionHook, CreatedObject } from './resource-api';
export type { SimulatedNode } from './kubelet';
export { schemaCauses as kubernetesSchemaProblems } from './validation';
export { podSecurityProblems } from './pod-security';
export type { PodSecurityLevel, PodSecuritySpec } from './pod-security';
export type { StoreEvent } from './object-store';
export type { RequestAttributes } from './kube-api-server';
export type { RbacPolicy, RbacRule } from './rbac';
export {
  imageWithUser,
  KUBE_HELPER_TEST_IMAGE,
  KUBE_STEP_TEST_IMAGE,
  kubeHelperTestImage,
  kubeTestImages,
} from './test-images';
