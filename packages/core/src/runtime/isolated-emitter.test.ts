import { describe, expect, it } from 'vitest';
import { IsolatedEventEmitter } from './isolated-emitter.js';

interface Events {
  tick: (n: number) => void;
  error: (error: Error, context?: { operation: string }) => void;
}

describe('IsolatedEventEmitter', () => {
  it('a throwing listener is reported through error; the others still run and emit does not throw', () => {
    const events = new IsolatedEventEmitter<Events>();
    const seen: number[] = [];
    const reported: Array<[string, string | undefined]> = [];
    events.on('error', (error, context) => reported.push([error.message, context?.operation]));
    events.on('tick', () => {
      throw new Error('listener bug');
    });
    events.on('tick', (n) => seen.push(n));
    expect(() => events.emit('tick', 7)).not.toThrow();
    expect(seen).toEqual([7]);
    expect(reported).toEqual([['listener bug', "a 'tick' event listener"]]);
  });

  it('a rejected promise from an async listener is reported too', async () => {
    const events = new IsolatedEventEmitter<Events>();
    const reported = new Promise<string>((resolve) => events.on('error', (error) => resolve(error.message)));
    events.on('tick', async () => {
      throw new Error('async listener bug');
    });
    events.emit('tick', 1);
    expect(await reported).toBe('async listener bug');
  });

  it('off and once work with the caller’s own function; a throwing error listener is dropped', () => {
    const events = new IsolatedEventEmitter<Events>();
    const seen: number[] = [];
    const listener = (n: number) => seen.push(n);
    events.on('tick', listener);
    events.once('tick', (n) => seen.push(n * 10));
    events.on('error', () => {
      throw new Error('nowhere to report this');
    });
    events.emit('tick', 1);
    events.off('tick', listener);
    events.emit('tick', 2);
    expect(seen).toEqual([1, 10]);
    expect(events.listenerCount('tick')).toBe(0);
    expect(() => events.emit('error', new Error('x'))).not.toThrow();
  });
});
