import { ApiError } from './api-status';
import type { RequestAttributes } from './kube-api-server';

/** One rule of a Role (core group only: the simulator serves core/v1). */
export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** The client's rights: a Role bound to `user` in `namespaces`; cluster-scoped requests get nothing. */
export interface RbacPolicy {
  user: string;
  namespaces: string[];
  rules: RbacRule[];
}

/**
 * The authorizer's answer to one request: nothing when a rule grants it, else the 403 the API
 * server sends (same wording as kube-apiserver's RBAC authorizer). Discovery needs no grant.
 */
export function rbacDenial(policy: RbacPolicy | undefined, request: RequestAttributes): ApiError | undefined {
  if (!policy || request.resource === '') return undefined;
  const granted =
    request.namespace !== undefined &&
    policy.namespaces.includes(request.namespace) &&
    policy.rules.some(
      (rule) =>
        (rule.apiGroups.includes('') || rule.apiGroups.includes('*')) &&
        (rule.resources.includes(request.resource) || rule.resources.includes('*')) &&
        (rule.verbs.includes(request.verb) || rule.verbs.includes('*')),
    );
  if (granted) return undefined;
  const [resource, subresource] = request.resource.split('/');
  const name = request.name;
  const scope =
    request.namespace === undefined ? 'at the cluster scope' : `in the namespace "${request.namespace}"`;
  return new ApiError(
    403,
    'Forbidden',
    `${resource}${name ? ` "${name}"` : ''} is forbidden: User "${policy.user}" cannot ${request.verb} resource "${request.resource}" in API group "" ${scope}`,
    { name, kind: subresource ? resource : request.resource },
  );
}
