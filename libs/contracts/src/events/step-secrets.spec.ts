import { generateKey, SecretBox } from '@kiln/crypto';
import { openStepSecrets, sealStepSecrets, SealedSecretsError, StepSecrets } from './step-secrets';

describe('sealed step secrets', () => {
  const box = new SecretBox(generateKey());
  const step = { runId: 'run-1', stepId: 'step-1', attempt: 1 };
  const secrets: StepSecrets = { env: { NPM_TOKEN: 'npm_abcdef' }, maskValues: ['npm_abcdef'] };

  it('opens what was sealed for the same step attempt', () => {
    const sealed = sealStepSecrets(box, step, secrets);
    expect(sealed).not.toContain('npm_abcdef');
    expect(openStepSecrets(box, step, sealed)).toEqual(secrets);
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = sealStepSecrets(box, step, secrets);
    const [version, iv, tag, data] = sealed.split(':');
    const flipped = Buffer.from(data, 'base64');
    flipped[0] ^= 1;
    const tampered = [version, iv, tag, flipped.toString('base64')].join(':');
    expect(() => openStepSecrets(box, step, tampered)).toThrow(SealedSecretsError);
  });

  it('refuses a key other than the one it was sealed with', () => {
    const sealed = sealStepSecrets(box, step, secrets);
    expect(() => openStepSecrets(new SecretBox(generateKey()), step, sealed)).toThrow(/KILN_EXECUTOR_KEY/);
  });

  it('refuses secrets sealed for another step or attempt', () => {
    const sealed = sealStepSecrets(box, step, secrets);
    expect(() => openStepSecrets(box, { ...step, stepId: 'step-2' }, sealed)).toThrow(SealedSecretsError);
    expect(() => openStepSecrets(box, { ...step, attempt: 2 }, sealed)).toThrow(SealedSecretsError);
  });

  it("opens the secret variables of the step's services", () => {
    const withServices: StepSecrets = { ...secrets, serviceEnv: { db: { POSTGRES_PASSWORD: 'pg-s3cret' } } };
    const sealed = sealStepSecrets(box, step, withServices);
    expect(sealed).not.toContain('pg-s3cret');
    expect(openStepSecrets(box, step, sealed)).toEqual(withServices);
  });

  it('refuses a sealed payload that is not a StepSecrets', () => {
    const context = `kiln.step.dispatched:${step.runId}:${step.stepId}:${step.attempt}`;
    const seal = (payload: object) => box.encrypt(JSON.stringify(payload), context);
    expect(() => openStepSecrets(box, step, seal({ env: { A: 1 }, maskValues: [] }))).toThrow(/malformed/);
    for (const serviceEnv of [{ db: { A: 1 } }, { db: null }, { db: 'A=1' }, ['A']]) {
      expect(() => openStepSecrets(box, step, seal({ env: {}, serviceEnv, maskValues: [] }))).toThrow(
        /malformed/,
      );
    }
  });
});
