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

  it('refuses a sealed payload that is not a StepSecrets', () => {
    const context = `kiln.step.dispatched:${step.runId}:${step.stepId}:${step.attempt}`;
    const sealed = box.encrypt(JSON.stringify({ env: { A: 1 }, maskValues: [] }), context);
    expect(() => openStepSecrets(box, step, sealed)).toThrow(/malformed/);
  });
});
