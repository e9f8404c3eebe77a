import { Step } from '@kiln/db';
import { OBJECT_STORAGE, ObjectStorage } from '@kiln/storage';
import { Inject, Injectable } from '@nestjs/common';
import { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { NotFoundError, RangeNotSatisfiableError } from '../common/errors';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { parseRange } from './byte-range';
import { tailObject } from './tail';

/** A finished step's log from object storage: presigned redirect (S3), byte ranges, or its tail. */
@Injectable()
export class ArchivedLogService {
  constructor(
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async send(step: Step, key: string, req: Request, res: Response, tail?: number): Promise<void> {
    if (tail === undefined) {
      const url = await this.storage.presignGet(key, this.config.KILN_PRESIGN_TTL_SECONDS, {
        filename: `${step.name}.log`,
      });
      if (url) return res.redirect(302, url);
    }
    const info = await this.storage.stat(key);
    if (!info) throw new NotFoundError(`archived log of step ${step.id}`);
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

  /** Every line of the stored log, in order, without building the whole text in memory. */
  async *lines(key: string): AsyncGenerator<string> {
    let carry = '';
    const decoder = new TextDecoder();
    for await (const part of await this.storage.stream(key)) {
      const text = carry + decoder.decode(part as Buffer, { stream: true });
      const lines = text.split('\n');
      carry = lines.pop()!;
      yield* lines;
    }
    const rest = carry + decoder.decode();
    if (rest) yield rest;
  }
}
