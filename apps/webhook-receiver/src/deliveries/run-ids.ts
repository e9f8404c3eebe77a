import { createHash } from 'node:crypto';

/** UUID namespace of the run ids the webhook receiver derives (random, fixed forever). */
const WEBHOOK_RUN_NAMESPACE = Buffer.from('5d0b8a3e6f1c4b7e9a2d8c4f1e3b6a90', 'hex');

/**
 * The run a delivery starts for a pipeline, as a name-based UUID (RFC 9562 version 5) of
 * provider, delivery id and pipeline id. Every replica and every replay of the delivery arrives
 * at the same id, so publishing its run request again (after a crash, a 503, or a replay) can
 * never start a second run: JetStream drops the repeated msg-id and the scheduler creates a run
 * id once.
 */
export function webhookRunId(provider: string, deliveryId: string, pipelineId: string): string {
  const hash = createHash('sha1')
    .update(WEBHOOK_RUN_NAMESPACE)
    .update(`${provider}\n${deliveryId}\n${pipelineId}`)
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
