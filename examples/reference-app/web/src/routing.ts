import { useEffect, useState } from 'react';

export type Route =
  | { page: 'channel' }
  | { page: 'clips' }
  | { page: 'dms' }
  | { page: 'user'; userId: string };

function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  if (parts[0] === 'clips') return { page: 'clips' };
  if (parts[0] === 'dms') return { page: 'dms' };
  if (parts[0] === 'users' && parts[1]) return { page: 'user', userId: decodeURIComponent(parts[1]) };
  return { page: 'channel' };
}

/** Hash routing: enough for four pages, and every page has a URL. */
export function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const update = () => setRoute(parse(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
