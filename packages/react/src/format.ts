/** 75 → "1:15"; with `fraction`, hundredths too: "1:15.40". */
export function formatDuration(seconds: number, fraction = false): string {
  const safe = Math.max(0, Number.isFinite(seconds) ? seconds : 0);
  const hundredths = Math.round(safe * 100);
  const whole = Math.floor(hundredths / 100);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const clock =
    h > 0
      ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`
      : `${m}:${String(s).padStart(2, '0')}`;
  return fraction ? `${clock}.${String(hundredths % 100).padStart(2, '0')}` : clock;
}

/** For screen readers: "1 minute 15.40 seconds". */
export function spokenDuration(seconds: number): string {
  const safe = Math.max(0, seconds);
  const m = Math.floor(safe / 60);
  const s = (safe - m * 60).toFixed(2);
  const minutes = m > 0 ? `${m} minute${m === 1 ? '' : 's'} ` : '';
  return `${minutes}${s} seconds`;
}

/** 47_185_920 → "45 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  const exponent = Math.min(units.length - 1, Math.floor(Math.log(bytes) / Math.log(1024)));
  const value = bytes / 1024 ** exponent;
  return `${value >= 10 || exponent === 0 ? Math.round(value) : value.toFixed(1)} ${units[exponent]}`;
}

/** "1 min", "10 min", "30 s". */
export function formatPreset(seconds: number): string {
  return seconds >= 60 && seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

export function formatDate(iso: string, locale?: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ''
    : date.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}
