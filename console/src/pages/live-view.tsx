// Live view: messages of a registry's or a device's topics as they arrive, and a command form that
// publishes through the data-plane Publish API as the registry.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, base64, enc } from '../api';
import { ErrorText } from '../components';
import { useAction } from '../hooks';
import { subscribeLive, type LiveMessage, type LiveStatus } from '../live';
import { formatPayload, type PayloadView } from '../payload';

const KEEP = 500;

export function LiveView({ registryId, deviceId, canPublish }: { registryId: string; deviceId?: string; canPublish: boolean }) {
  const defaultFilter = deviceId ? `$devices/${deviceId}/#` : '$devices/#';
  const [filter, setFilter] = useState(defaultFilter);
  const [active, setActive] = useState(defaultFilter);
  const [messages, setMessages] = useState<LiveMessage[]>([]);
  const [status, setStatus] = useState<{ status: LiveStatus; detail?: string }>({ status: 'connecting' });
  const [view, setView] = useState<PayloadView>('auto');
  const [paused, setPaused] = useState(false);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    const subscription = subscribeLive(
      registryId,
      [active],
      (message) => !pausedRef.current && setMessages((list) => [message, ...list].slice(0, KEEP)),
      (next, detail) => setStatus({ status: next, detail }),
    );
    return () => subscription.close();
  }, [registryId, active]);

  return (
    <div>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          setMessages([]);
          setActive(filter);
        }}
      >
        <label>
          Topic filter <input class="wide" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
        <button type="submit">Subscribe</button>
        <label>
          Payload as{' '}
          <select value={view} onChange={(e) => setView(e.currentTarget.value as PayloadView)}>
            <option value="auto">auto (JSON, text, hex)</option>
            <option value="text">text</option>
            <option value="json">JSON</option>
            <option value="hex">hex</option>
          </select>
        </label>
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" onClick={() => setMessages([])}>
          Clear
        </button>
      </form>
      <p class={`status ${status.status}`} role="status" data-testid="live-status">
        MQTT: {status.status}
        {status.detail ? ` — ${status.detail}` : ''} · {messages.length} message{messages.length === 1 ? '' : 's'}
      </p>
      {canPublish ? <CommandForm registryId={registryId} deviceId={deviceId} /> : null}
      <ol class="messages" aria-live="polite" data-testid="live-messages">
        {messages.map((message, index) => {
          const shown = formatPayload(message.payload, view);
          return (
            <li key={`${message.at}-${index}`} class="message">
              <div class="message-head">
                <code class="topic">{message.topic}</code>
                <span class="badge">QoS {message.qos}</span>
                {message.retain ? <span class="badge">retained</span> : null}
                <span class="badge">{shown.kind}</span>
                <time>{new Date(message.at).toLocaleTimeString()}</time>
              </div>
              <pre class="payload">{shown.text}</pre>
            </li>
          );
        })}
      </ol>
    </div>
  );
}

function CommandForm({ registryId, deviceId }: { registryId: string; deviceId?: string }) {
  const [target, setTarget] = useState(deviceId ?? '');
  const [subtopic, setSubtopic] = useState('');
  const [payload, setPayload] = useState('');
  const action = useAction();
  const [sent, setSent] = useState<string>();
  const topic = `${target ? `$devices/${target}` : `$registries/${registryId}`}/commands${subtopic ? `/${subtopic}` : ''}`;
  return (
    <form
      class="stack command"
      aria-label="Send command"
      onSubmit={(event) => {
        event.preventDefault();
        setSent(undefined);
        void action
          .run(() => api('POST', `/iot-devices/v1/registries/${enc(registryId)}/publish`, { topic, data: base64(payload) }))
          .then((ok) => ok && setSent(`sent to ${topic}`));
      }}
    >
      <h3>Send command</h3>
      <div class="inline">
        <label>
          Device ID (empty: all devices of the registry){' '}
          <input value={target} onInput={(e) => setTarget(e.currentTarget.value)} readOnly={deviceId !== undefined} />
        </label>
        <label>
          Subtopic <input value={subtopic} placeholder="e.g. reboot" onInput={(e) => setSubtopic(e.currentTarget.value)} />
        </label>
      </div>
      <label>
        Payload <textarea rows={2} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} />
      </label>
      <div class="inline">
        <code>{topic}</code>
        <button type="submit" disabled={action.busy}>
          Send command
        </button>
        {sent ? <span role="status">{sent}</span> : null}
      </div>
      <ErrorText error={action.error} />
    </form>
  );
}
