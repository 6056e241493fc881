import { AppError } from '../../platform/http/errors.js';
import { checkReading, type IngestService } from './alerts.ingest.js';

/** The topic devices publish readings on; the second level is the device code. */
export const READINGS_TOPIC = 'zhian/devices/+/readings';
const RETRIES = 5;
const TOPIC_RE = /^zhian\/devices\/([A-Za-z0-9_-]{3,64})\/readings$/;

/**
 * Handles one MQTT message: `{"observedAt": "…", "values": {"DO": 6.1, …}}` (or `ts` in epoch
 * milliseconds). A message that cannot be used (unknown device, bad JSON) is logged and
 * dropped — acknowledged, so one bad device cannot block the stream. A database failure is
 * retried for a few seconds (the broker's acknowledgement waits meanwhile); only then is the
 * message given up, logged and counted as failed by the ingest.
 */
export function mqttReadingHandler(ingest: IngestService, log?: { warn(obj: object, msg: string): void }) {
  return async (topic: string, payload: Buffer): Promise<void> => {
    const m = TOPIC_RE.exec(topic);
    if (!m) {
      log?.warn({ topic }, 'mqtt: message on an unexpected topic dropped');
      return;
    }
    let body: { observedAt?: unknown; ts?: unknown; values?: unknown };
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      log?.warn({ topic }, 'mqtt: payload is not JSON; dropped');
      return;
    }
    let reading;
    try {
      reading = checkReading({ observedAt: body.observedAt ?? body.ts, values: body.values });
    } catch (err) {
      log?.warn({ topic, problem: (err as Error).message }, 'mqtt: reading refused');
      return;
    }
    // A database hiccup (failover, pool exhausted) is retried here before the message is given up.
    for (let attempt = 1; ; attempt++) {
      try {
        await ingest.ingestByCode(m[1]!, reading, 'mqtt', { tasks: 'background' });
        return;
      } catch (err) {
        if (err instanceof AppError && err.status === 400) {
          log?.warn({ topic, problem: err.message }, 'mqtt: reading refused');
          return;
        }
        if (attempt >= RETRIES) throw err;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  };
}
