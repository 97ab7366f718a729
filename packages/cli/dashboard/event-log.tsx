// The task's events as they stream, the newest last; past a few hundred only the latest are
// drawn, which keeps a long stream cheap to follow.
import type { TaskEnvelope } from '@taskcast/client'
import { formatTime, isoTime, preview } from './format.js'

const EVENTS_SHOWN = 200

export function EventLog({ events }: { events: readonly TaskEnvelope[] }) {
  const shown = events.length > EVENTS_SHOWN ? events.slice(-EVENTS_SHOWN) : events
  return (
    <section className="panel" aria-labelledby="events-heading">
      <h3 id="events-heading">
        Events <span className="muted">({events.length})</span>
      </h3>
      {events.length > EVENTS_SHOWN && (
        <p className="hint">
          The last {EVENTS_SHOWN} of {events.length} are shown.
        </p>
      )}
      {events.length === 0 ? (
        <p className="muted">No events yet.</p>
      ) : (
        <ol className="event-log">
          {shown.map((event) => (
            <li key={event.eventId} className="event" data-level={event.level}>
              <span className="event-index">#{event.rawIndex}</span>
              <span className="event-type">{event.type}</span>
              {event.level !== 'info' && <span className="event-level">{event.level}</span>}
              {event.seriesSnapshot && <span className="event-level">text so far</span>}
              <time className="event-time" dateTime={isoTime(event.timestamp)}>
                {formatTime(event.timestamp)}
              </time>
              <code className="event-data">{preview(event.data)}</code>
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
