import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';

/**
 * Sends a byte stream with the given status and headers. HEAD answers the headers alone; a
 * client that goes away destroys the source (which cancels whatever produces it), and a source
 * that fails after the headers went out cuts the connection rather than send a short file as whole.
 */
export async function sendStream(
  req: Request,
  res: Response,
  stream: Readable,
  status: number,
  headers: Record<string, string | number>,
): Promise<void> {
  res.status(status);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, String(value));
  if (req.method === 'HEAD') {
    stream.destroy();
    res.end();
    return;
  }
  try {
    await pipeline(stream, res);
  } catch {
    // The client disconnected or the source failed: pipeline destroyed both ends already.
    if (!res.destroyed) res.destroy();
  }
}

/** `attachment; filename="…"; filename*=UTF-8''…` with a name that cannot break the header or a path. */
export function contentDisposition(fileName: string, kind: 'attachment' | 'inline' = 'attachment'): string {
  const base =
    fileName
      .replace(/[/\\]/g, '_')
      .replace(/[\r\n"]/g, '')
      .trim() || 'clip.mp4';
  const ascii = base.replace(/[^\x20-\x7e]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}
