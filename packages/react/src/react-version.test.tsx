import { render, renderHook, screen } from '@testing-library/react';
import { useState, version } from 'react';
import { version as domVersion } from 'react-dom';
import { describe, expect, it } from 'vitest';

// Proves which React a run loaded, so a broken alias cannot pass the React 18 run on React 19.
describe('the React major under test', () => {
  const expected = process.env.REACT_MAJOR ?? '19';

  it('is the one this run is configured for (REACT_MAJOR), for react and react-dom', () => {
    expect(version.split('.')[0]).toBe(expected);
    expect(domVersion.split('.')[0]).toBe(expected);
  });

  it("is the one Testing Library renders with (a hook only works on the renderer's own React)", () => {
    const { result } = renderHook(() => useState(expected));
    expect(result.current[0]).toBe(expected);
  });

  it('is the one JSX compiles to (react/jsx-runtime: React 18 rejects 19 elements)', () => {
    render(<output>React {expected}</output>);
    expect(screen.getByRole('status').textContent).toBe(`React ${expected}`);
  });
});
