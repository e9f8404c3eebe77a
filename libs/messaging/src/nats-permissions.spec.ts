import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NATS_ROLES, natsAccountConfig, natsPasswordVariable, natsPermissions, NatsRole } from './nats-permissions';

const readers = (stream: string) =>
  NATS_ROLES.filter((role) => natsPermissions(role).publish.includes(`$JS.API.CONSUMER.MSG.NEXT.${stream}.>`));
const publishers = (subject: string) =>
  NATS_ROLES.filter((role) => natsPermissions(role).publish.includes(subject));

describe('NATS users', () => {
  it('lets only the executors read dispatches and only the scheduler publish them', () => {
    expect(readers('KILN_DISPATCH')).toEqual(['pod-executor']);
    expect(publishers('kiln.step.dispatched')).toEqual(['scheduler']);
    for (const role of NATS_ROLES) {
      expect(natsPermissions(role).subscribe).not.toContain('kiln.step.dispatched');
      expect(natsPermissions(role).publish.filter((s) => s.startsWith('$JS.API.STREAM.DELETE'))).toEqual([]);
    }
  });

  it('gives each user its own reply inbox only', () => {
    for (const role of NATS_ROLES) {
      expect(natsPermissions(role).subscribe.filter((s) => s.startsWith('_INBOX'))).toEqual([`_INBOX.${role}.>`]);
    }
  });

  it('applies the messaging prefix to subjects and stream names', () => {
    const { publish } = natsPermissions('scheduler', 'k1.');
    expect(publish).toContain('k1.kiln.step.dispatched');
    expect(publish).toContain('$JS.API.STREAM.CREATE.k1_KILN_DISPATCH');
    expect(publish).not.toContain('kiln.step.dispatched');
  });

  it('is the configuration compose and the chart mount, passwords from the environment', () => {
    const refs = Object.fromEntries(NATS_ROLES.map((r) => [r, `$${natsPasswordVariable(r)}`]));
    const file = readFileSync(join(__dirname, '../../../k8s/helm/kiln/files/nats-users.conf'), 'utf8');
    expect(file.replace(/^#.*\n/gm, '')).toBe(natsAccountConfig(refs as Record<NatsRole, string>));
  });
});
