import { BadRequestException, Controller, Get, Logger, NotFoundException, Post, Res } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { Response } from 'express';
import request from 'supertest';
import { bodyParserErrors } from './body-parser-errors.middleware';
import { HttpErrorFilter } from './http-error.filter';
import { GoneError, HttpError, InvalidInputError, NotFoundError, PayloadTooLargeError } from './http.errors';

class StoreMissError extends Error {}

class ReviverError extends Error {}

@Controller()
class ProbeController {
  @Get('api/gone')
  gone(): never {
    throw new GoneError('artifact 7 expired');
  }

  @Get('api/field')
  field(): never {
    throw InvalidInputError.forField('url', 'url must be https');
  }

  @Get('api/nest')
  nest(): never {
    throw new BadRequestException(['name must be a string', 'name is required']);
  }

  @Get('healthz')
  health(): never {
    throw new NotFoundException('no such probe');
  }

  @Get('healthz/broken')
  healthBroken(): never {
    throw new NotFoundError('nothing here');
  }

  @Get('api/store')
  store(): never {
    throw new StoreMissError('object logs/p1/r1.log missing in bucket kiln');
  }

  @Get('api/bug')
  bug(): never {
    throw new TypeError("cannot read properties of undefined (reading 'secretColumn')");
  }

  @Get('api/express')
  express(): never {
    // What http-errors makes of a client error: its status, and expose for a message meant for the client.
    throw Object.assign(new Error('range not satisfiable'), { status: 416, expose: true });
  }

  @Get('api/text')
  text(@Res() res: Response): never {
    res.type('text/plain');
    throw new NotFoundError('step 9 not found');
  }

  @Get('api/large')
  large(): never {
    throw new PayloadTooLargeError('the artifact is larger than 10 bytes', { max_bytes: 10 });
  }

  @Get('api/midway')
  midway(@Res() res: Response): never {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('first half');
    throw new Error('storage went away');
  }

  @Post('api/echo')
  echo(): string {
    return 'ok';
  }
}

function translate(exception: unknown): HttpError | undefined {
  if (exception instanceof StoreMissError) return new NotFoundError('the stored object no longer exists');
  if (exception instanceof ReviverError) return new InvalidInputError(exception.message, [{ field: 'x' }]);
  return undefined;
}

describe('HttpErrorFilter', () => {
  let app: NestExpressApplication;
  const logged: unknown[] = [];

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [ProbeController],
      providers: [{ provide: APP_FILTER, useValue: new HttpErrorFilter({ routes: /^\/api\//, translate }) }],
    }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
    app.useBodyParser('json', {
      limit: '64b',
      reviver: (key: string, value: unknown) => {
        if (key === 'x') throw new ReviverError('property x is not allowed');
        return value;
      },
    });
    app.use(bodyParserErrors('64b', 'KILN_TEST_BODY_LIMIT'));
    await app.init();
    jest.spyOn(Logger.prototype, 'error').mockImplementation((...args: unknown[]) => void logged.push(args));
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await app.close();
  });

  const http = () => request(app.getHttpServer());

  it('answers an HttpError with its status and message', async () => {
    const res = await http().get('/api/gone');
    expect(res.status).toBe(410);
    expect(res.body).toEqual({ statusCode: 410, error: 'Gone', message: 'artifact 7 expired' });
  });

  it('lists the field of an invalid input in details', async () => {
    const res = await http().get('/api/field');
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'url must be https',
      details: [{ field: 'url', message: 'url must be https' }],
    });
  });

  it('joins the messages of a Nest HttpException on the app routes', async () => {
    const res = await http().get('/api/nest');
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'name must be a string; name is required',
    });
  });

  it("keeps Nest's own answer for an HttpException outside the app routes", async () => {
    const res = await http().get('/healthz');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'no such probe' });
  });

  it('answers an HttpError outside the app routes with the error body too', async () => {
    const res = await http().get('/healthz/broken');
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'nothing here' });
  });

  it('answers what translate knows with its public message, not the internal one', async () => {
    const res = await http().get('/api/store');
    expect(res.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'the stored object no longer exists',
    });
  });

  it('answers an unknown error with a 500 that names nothing of it, and logs its stack', async () => {
    logged.length = 0;
    const res = await http().get('/api/bug');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'internal error; the details were logged',
    });
    expect(JSON.stringify(logged)).toContain('secretColumn');
    expect(JSON.stringify(logged)).toContain('at ProbeController.bug');
  });

  it('answers an exposed 4xx of express middleware with its status', async () => {
    const res = await http().get('/api/express');
    expect(res.body).toEqual({
      statusCode: 416,
      error: 'Range Not Satisfiable',
      message: 'range not satisfiable',
    });
  });

  it('answers JSON even when the handler had set another content type', async () => {
    const res = await http().get('/api/text');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('closes the connection after a 413 and carries its details', async () => {
    const res = await http().get('/api/large');
    expect(res.headers.connection).toBe('close');
    expect(res.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'the artifact is larger than 10 bytes',
      details: { max_bytes: 10 },
    });
  });

  it('cuts a response that failed after it started instead of ending it as if whole', async () => {
    await expect(http().get('/api/midway')).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
  });

  it('names the limit and its setting when a body is too large', async () => {
    const res = await http()
      .post('/api/echo')
      .send({ text: 'x'.repeat(100) });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'the body is larger than the 64b limit (KILN_TEST_BODY_LIMIT)',
    });
  });

  it('says a body is not valid JSON', async () => {
    const res = await http().post('/api/echo').set('Content-Type', 'application/json').send('{"a": ');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^the body is not valid JSON: /);
  });

  it("hands an error a JSON reviver threw to the filter's translate", async () => {
    const res = await http().post('/api/echo').set('Content-Type', 'application/json').send('{"x": 1}');
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'property x is not allowed',
      details: [{ field: 'x' }],
    });
  });
});
