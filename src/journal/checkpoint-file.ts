import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { errors } from '../errors.js';
import type { Checkpoint } from '../eval/types.js';
import { decodeCheckpoint, encodeCheckpoint } from '../eval/checkpoint-codec.js';

/** Writes a checkpoint whole (fsynced), so that a journal line referring to it never points at a partial file. */
export function writeCheckpointFile(file: string, c: Checkpoint): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, encodeCheckpoint(c));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function readCheckpointFile(file: string): Checkpoint {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw errors.runFolder(
      file,
      code === 'ENOENT' ? 'checkpoint file is missing' : `cannot read the checkpoint file (${code ?? String(e)})`,
      'the run folder is incomplete; resume from a complete copy of it',
    );
  }
  return decodeCheckpoint(buf, (problem) =>
    errors.runFolder(file, `checkpoint file ${problem}`, 'the run folder is damaged; resume from a complete copy of it'),
  );
}
