import { plainToInstance, Type } from 'class-transformer';
import { IsArray, IsObject, IsOptional, IsString, ValidateNested, validateSync } from 'class-validator';
import { RegistryCredential } from './step-dispatched.event';

/**
 * The secret-bearing part of a `kiln.step.dispatched`: variables whose values came from project
 * secrets, the values to mask and the image registry's credentials. It travels in the dispatch's `sealed` field, encrypted with
 * KILN_EXECUTOR_KEY, which only the scheduler and the executors hold.
 */
export class StepSecrets {
  @IsObject() env!: Record<string, string>;
  /** Variables of the step's services whose values came from project secrets, by service name. */
  @IsOptional() @IsObject() serviceEnv?: Record<string, Record<string, string>>;
  @IsArray() @IsString({ each: true }) maskValues!: string[];
  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => RegistryCredential)
  registryCredentials?: RegistryCredential[];
}

/** AES-256-GCM with associated data; `SecretBox` of @kiln/crypto is one. */
export interface SealCipher {
  encrypt(plaintext: string, context: string): string;
  decrypt(ciphertext: string, context: string): string;
}

export class SealedSecretsError extends Error {
  override readonly name = 'SealedSecretsError';
}

type SealedStep = { runId: string; stepId: string; attempt: number };

/** Binds the ciphertext to one attempt of one step: copied into another dispatch, it does not open. */
function sealContext(step: SealedStep): string {
  return `kiln.step.dispatched:${step.runId}:${step.stepId}:${step.attempt}`;
}

export function sealStepSecrets(cipher: SealCipher, step: SealedStep, secrets: StepSecrets): string {
  return cipher.encrypt(JSON.stringify(secrets), sealContext(step));
}

/** Decrypts and checks a dispatch's `sealed` field; a wrong key or altered data throws SealedSecretsError. */
export function openStepSecrets(cipher: SealCipher, step: SealedStep, sealed: string): StepSecrets {
  let plain: string;
  try {
    plain = cipher.decrypt(sealed, sealContext(step));
  } catch (err) {
    throw new SealedSecretsError(
      `the step's secrets cannot be opened (${err instanceof Error ? err.message : String(err)}): ` +
        'is KILN_EXECUTOR_KEY the same for the scheduler and the executors?',
      { cause: err },
    );
  }
  const secrets = plainToInstance(StepSecrets, JSON.parse(plain) as object);
  const problems = validateSync(secrets, { forbidUnknownValues: true });
  const badValue = [secrets.env ?? {}, ...Object.values(secrets.serviceEnv ?? {})].some(
    (env) => typeof env !== 'object' || env === null || Object.values(env).some((v) => typeof v !== 'string'),
  );
  if (problems.length > 0 || badValue)
    throw new SealedSecretsError("the step's sealed secrets are malformed");
  return secrets;
}
