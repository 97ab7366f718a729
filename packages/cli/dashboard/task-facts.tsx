// What `GET /tasks/:id` says of the task: its times, who watches it, what it was given and
// what it ended with.
import type { WatchedTask } from './dashboard-api.js'
import { formatDateTime, isoTime } from './format.js'
import { JsonBlock } from './json-block.js'

function Time({ ms }: { ms: number }) {
  return <time dateTime={isoTime(ms)}>{formatDateTime(ms)}</time>
}

export function TaskFacts({ task }: { task: WatchedTask }) {
  return (
    <section className="panel" aria-labelledby="facts-heading">
      <h3 id="facts-heading">Details</h3>
      <dl className="facts">
        <dt>Created</dt>
        <dd>
          <Time ms={task.createdAt} />
        </dd>
        <dt>Updated</dt>
        <dd>
          <Time ms={task.updatedAt} />
        </dd>
        {task.completedAt !== undefined && (
          <>
            <dt>Ended</dt>
            <dd>
              <Time ms={task.completedAt} />
            </dd>
          </>
        )}
        {task.ttl !== undefined && (
          <>
            <dt>TTL</dt>
            <dd>{task.ttl} s</dd>
          </>
        )}
        {task.subscribers !== undefined && (
          <>
            <dt>Subscribers</dt>
            <dd data-fact="subscribers">{task.subscribers}</dd>
          </>
        )}
        {task.assignedTo !== undefined && (
          <>
            <dt>Worker</dt>
            <dd>
              <code>{task.assignedTo.workerId}</code>
            </dd>
          </>
        )}
      </dl>
      {task.error !== undefined && (
        <div className="fact-block">
          <h4>Error</h4>
          <p className="problem">
            {task.error.code !== undefined && <code>{task.error.code}</code>} {task.error.message}
          </p>
          {task.error.details !== undefined && <JsonBlock value={task.error.details} label="Error details" />}
        </div>
      )}
      {task.result !== undefined && <Fact name="Result" value={task.result} />}
      {'resolution' in task && <Fact name="Resolution" value={task.resolution} />}
      {task.params !== undefined && <Fact name="Params" value={task.params} />}
      {task.metadata !== undefined && <Fact name="Metadata" value={task.metadata} />}
    </section>
  )
}

function Fact({ name, value }: { name: string; value: unknown }) {
  return (
    <div className="fact-block" data-fact={name.toLowerCase()}>
      <h4>{name}</h4>
      <JsonBlock value={value} label={name} />
    </div>
  )
}
