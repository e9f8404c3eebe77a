import { Step } from '@kiln/db';
import { OBJECT_STORAGE, ObjectStorage } from '@kiln/storage';
import { Inject, Injectable } from '@nestjs/common';
import { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { NotFoundError, RangeNotSatisfiableError } from '@kiln/errors';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { parseRange } from './byte-range';
import { tailObject } from './tail';
import { lastTimes, readTimedLines, TimedLine, timedText } from './timed-lines';

export interface LogAnswer {
  tail?: number;
  /** Each line prefixed with its time (docs/logs.md); the answer is then built, never presigned or ranged. */
  timestamps?: boolean;
}

/** A finished step's log from object storage: presigned redirect (S3), byte ranges, its tail, or timed lines. */
@Injectable()
export class ArchivedLogService {
  constructor(
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async send(step: Step, key: string, req: Request, res: Response, { tail, timestamps }: LogAnswer = {}): Promise<void> {
    if (timestamps) return this.sendTimed(step, key, res, tail);
    if (tail === undefined) {
      const url = await this.storage.presignGet(key, this.config.KILN_PRESIGN_TTL_SECONDS, {
        filename: `${step.name}.log`,
      });
      if (url) return res.redirect(302, url);
    }
    const info = await this.storage.stat(key);
    if (!info) throw new NotFoundError(`archived log of step ${step.id} not found`);
    res.set('Content-Type', 'text/plain; charset=utf-8');
    if (tail !== undefined) {
      res.send(await tailObject(this.storage, key, info.size, tail));
      return;
    }
    res.set('Accept-Ranges', 'bytes');
    const range = parseRange(req.get('range'), info.size);
    if (range.kind === 'unsatisfiable') {
      res.set('Content-Range', `bytes */${info.size}`);
      throw new RangeNotSatisfiableError(
        `the log has ${info.size} bytes; the requested range starts beyond its end`,
      );
    }
    if (range.kind === 'range') {
      res.status(206).set({
        'Content-Range': `bytes ${range.start}-${range.end}/${info.size}`,
        'Content-Length': String(range.end - range.start + 1),
      });
      await pipeline(await this.storage.stream(key, { start: range.start, end: range.end }), res);
      return;
    }
    res.set('Content-Length', String(info.size));
    await pipeline(await this.storage.stream(key), res);
  }

  /** Every line of the stored log with its time, in order, in batches, without holding the log in memory. */
  lines(key: string): AsyncGenerator<TimedLine[]> {
    return readTimedLines(this.storage, key);
  }

  /** `X-Log-Bytes` tells the plain log's size, as a client showing only the beginning needs to say. */
  private async sendTimed(step: Step, key: string, res: Response, tail?: number): Promise<void> {
    const info = await this.storage.stat(key);
    if (!info) throw new NotFoundError(`archived log of step ${step.id} not found`);
    res.set({ 'Content-Type': 'text/plain; charset=utf-8', 'X-Log-Bytes': String(info.size) });
    if (tail !== undefined) {
      const texts = (await tailObject(this.storage, key, info.size, tail)).toString().split('\n');
      if (texts.at(-1) === '') texts.pop();
      const times = await lastTimes(this.storage, key, texts.length);
      res.send(texts.map((text, i) => timedText({ ts: times[i], text })).join(''));
      return;
    }
    for await (const batch of this.lines(key)) {
      if (res.destroyed) return;
      if (!res.write(batch.map(timedText).join(''))) await drained(res);
    }
    res.end();
  }
}

function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.once('drain', done).once('close', done);
  });
}
