import { useEffect, useState } from 'react';
import { type ChatMessage, type DemoUser, demoApi } from '../demo-api.js';
import { ClipMessage } from './clip-message.js';

const POLL_MS = 3000;

/** Clips shared with you (or by you) as direct messages. */
export function DirectMessagesPage(props: { me: DemoUser; users: DemoUser[] }) {
  const messages = usePolled(demoApi.directMessages);
  const nameOf = (id: string | null) => props.users.find((u) => u.id === id)?.name ?? id ?? '';
  return (
    <section className="feed" aria-labelledby="dms-title">
      <h1 id="dms-title">Direct messages</h1>
      {messages.length === 0 && <p className="feed-empty">No clips shared with you yet.</p>}
      {messages.map((message) => (
        <ClipMessage
          key={message.id}
          message={message}
          author={props.users.find((u) => u.id === message.authorId)}
          note={message.authorId === props.me.id ? `to ${nameOf(message.recipientUserId)}` : undefined}
        />
      ))}
    </section>
  );
}

/** A list re-read every few seconds (a real chat would push messages over its socket). */
export function usePolled(load: () => Promise<ChatMessage[]>): ChatMessage[] {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  useEffect(() => {
    let live = true;
    const read = () =>
      load().then(
        (all) => live && setMessages((before) => (before.length === all.length ? before : all)),
        () => undefined, // a missed poll is retried on the next tick
      );
    void read();
    const timer = setInterval(read, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [load]);
  return messages;
}
