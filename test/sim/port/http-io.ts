import type { IncomingMessage, ServerResponse } from 'node:http';

export type BodyRead = { kind: 'ok'; raw: string } | { kind: 'too-large'; bytes: number };

// Reads the whole body but keeps at most `limit` bytes: draining the rest lets
// the 413 reach a client that is still sending instead of breaking its pipe.
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (bytes > limit) resolve({ kind: 'too-large', bytes });
      else resolve({ kind: 'ok', raw: Buffer.concat(chunks).toString('utf8') });
    });
    req.on('error', reject);
  });
}

export function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  if (raw.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function portError(error: string, message: string): { ok: false; error: string; message: string } {
  return { ok: false, error, message };
}
