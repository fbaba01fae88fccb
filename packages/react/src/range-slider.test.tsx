import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { RangeSlider } from './range-slider.js';

const FPS = 30;

function Harness({ initial = { start: 10, end: 20 } }: { initial?: { start: number; end: number } }) {
  const [range, setRange] = useState(initial);
  return (
    <RangeSlider min={0} max={60} step={1 / FPS} start={range.start} end={range.end} onChange={setRange} />
  );
}

const value = (el: HTMLElement) => Number(el.getAttribute('aria-valuenow'));

describe('RangeSlider', () => {
  it('has two labelled sliders with time text', () => {
    render(<Harness />);
    const [start, end] = screen.getAllByRole('slider');
    expect(start).toHaveProperty('tabIndex', 0);
    expect(start?.getAttribute('aria-label')).toBe('Clip start');
    expect(end?.getAttribute('aria-label')).toBe('Clip end');
    expect(start?.getAttribute('aria-valuetext')).toBe('10.00 seconds');
    expect(end?.getAttribute('aria-valuetext')).toBe('20.00 seconds');
  });

  it('arrows move one frame, Shift+arrows one second, PageUp/PageDown ten seconds', () => {
    render(<Harness />);
    const start = screen.getByRole('slider', { name: 'Clip start' });
    fireEvent.keyDown(start, { key: 'ArrowRight' });
    expect(value(start)).toBeCloseTo(10 + 1 / FPS, 3);
    fireEvent.keyDown(start, { key: 'ArrowLeft' });
    fireEvent.keyDown(start, { key: 'ArrowLeft' });
    expect(value(start)).toBeCloseTo(10 - 1 / FPS, 3);
    fireEvent.keyDown(start, { key: 'ArrowRight', shiftKey: true });
    expect(value(start)).toBeCloseTo(11 - 1 / FPS, 3);
    fireEvent.keyDown(start, { key: 'PageDown' });
    expect(value(start)).toBeCloseTo(1 - 1 / FPS, 3);
    const end = screen.getByRole('slider', { name: 'Clip end' });
    fireEvent.keyDown(end, { key: 'PageUp' });
    expect(value(end)).toBe(30);
  });

  it('Home/End go to the limits, and the thumbs never cross (one frame apart at least)', () => {
    render(<Harness />);
    const start = screen.getByRole('slider', { name: 'Clip start' });
    const end = screen.getByRole('slider', { name: 'Clip end' });
    fireEvent.keyDown(start, { key: 'Home' });
    expect(value(start)).toBe(0);
    fireEvent.keyDown(end, { key: 'End' });
    expect(value(end)).toBe(60);
    fireEvent.keyDown(start, { key: 'End' });
    expect(value(start)).toBeCloseTo(60 - 1 / FPS, 3);
    fireEvent.keyDown(start, { key: 'ArrowRight' });
    fireEvent.keyDown(start, { key: 'PageUp' });
    expect(value(start)).toBeCloseTo(60 - 1 / FPS, 3);
    fireEvent.keyDown(end, { key: 'Home' });
    expect(value(end)).toBeCloseTo(60, 3); // start + one frame = 60: it cannot move below
    fireEvent.keyDown(start, { key: 'PageDown' });
    fireEvent.keyDown(end, { key: 'Home' });
    expect(value(end)).toBeCloseTo(value(start) + 1 / FPS, 3);
    expect(value(end)).toBeGreaterThan(value(start));
  });
});
