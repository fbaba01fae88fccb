/**
 * The native remux met something it does not handle safely (another codec, B-frames, a
 * parameter-set change, bytes it cannot parse). The pipeline then removes what was written
 * and cuts with ffmpeg instead.
 */
export class NativeRemuxUnsupported extends Error {
  constructor(readonly reason: string) {
    super(`native remux cannot take this input: ${reason}`);
    this.name = 'NativeRemuxUnsupported';
  }
}
