import { podSecurityProblems, PodSecuritySpec } from './pod-security';

const hardened = {
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

function pod(container: object = {}, extra: Partial<PodSecuritySpec> = {}): PodSecuritySpec {
  return {
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    volumes: [{ name: 'workspace', persistentVolumeClaim: { claimName: 'ws' } }],
    containers: [{ name: 'step', securityContext: { ...hardened, ...container } }],
    ...extra,
  };
}

describe('podSecurityProblems', () => {
  it('admits a hardened pod at every level', () => {
    for (const level of ['privileged', 'baseline', 'restricted'] as const) {
      expect(podSecurityProblems(pod(), level)).toEqual([]);
    }
  });

  it.each([
    [
      'privilege escalation left on',
      pod({ allowPrivilegeEscalation: undefined }),
      'allowPrivilegeEscalation != false',
    ],
    ['capabilities kept', pod({ capabilities: {} }), 'must drop ALL'],
    [
      'a capability added',
      pod({ capabilities: { drop: ['ALL'], add: ['CHOWN'] } }),
      'may add only NET_BIND_SERVICE',
    ],
    ['no runAsNonRoot', pod({ runAsNonRoot: undefined }), 'runAsNonRoot != true'],
    ['uid 0', pod({ runAsUser: 0 }), 'runAsUser=0'],
    ['no seccomp profile', pod({}, { securityContext: {} }), 'seccompProfile'],
  ])('refuses %s under restricted only', (_, spec, message) => {
    expect(podSecurityProblems(spec, 'restricted').join('\n')).toContain(message);
    expect(podSecurityProblems(spec, 'baseline')).toEqual([]);
  });

  it('takes runAsNonRoot from the pod when a container leaves it out', () => {
    const spec = pod({ runAsNonRoot: undefined });
    spec.securityContext = { ...spec.securityContext, runAsNonRoot: true };
    expect(podSecurityProblems(spec, 'restricted')).toEqual([]);
  });

  it('names every container that breaks a rule, init containers included', () => {
    const spec = pod();
    spec.initContainers = [{ name: 'checkout', securityContext: {} }];
    expect(podSecurityProblems(spec, 'restricted')).toContain(
      'allowPrivilegeEscalation != false (container "checkout")',
    );
  });

  it.each([
    ['privileged', pod({ privileged: true }), 'privileged'],
    ['the host network', pod({}, { hostNetwork: true }), 'host namespaces'],
    ['SYS_ADMIN', pod({ capabilities: { add: ['SYS_ADMIN'] } }), 'non-default capabilities'],
    [
      'a hostPath volume',
      pod({}, { volumes: [{ name: 'docker', hostPath: { path: '/var/run' } }] }),
      'hostPath',
    ],
    ['seccomp Unconfined', pod({ seccompProfile: { type: 'Unconfined' } }), 'Unconfined'],
  ])('refuses %s under baseline and restricted', (_, spec, message) => {
    expect(podSecurityProblems(spec, 'baseline').join('\n')).toContain(message);
    expect(podSecurityProblems(spec, 'restricted').join('\n')).toContain(message);
    expect(podSecurityProblems(spec, 'privileged')).toEqual([]);
  });

  it('lets a root container with the runtime default capabilities in at baseline', () => {
    const spec = pod({ runAsNonRoot: undefined, runAsUser: 0, capabilities: { add: ['CHOWN', 'SETUID'] } });
    expect(podSecurityProblems(spec, 'baseline')).toEqual([]);
  });
});
