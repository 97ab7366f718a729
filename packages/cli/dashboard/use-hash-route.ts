// Which task the page shows, kept in the URL's fragment (`#/tasks/<id>`): a link opens it, the
// browser's Back button returns to the list, and the address can be shared or reloaded.
import { useEffect, useState } from 'react'

const TASK_ROUTE = /^#\/tasks\/(.+)$/

export function taskHref(taskId: string): string {
  return `#/tasks/${encodeURIComponent(taskId)}`
}

function selectedTask(hash: string): string | undefined {
  const match = TASK_ROUTE.exec(hash)
  if (!match) return undefined
  try {
    return decodeURIComponent(match[1]!)
  } catch {
    return undefined // a fragment typed by hand that is not valid percent-encoding
  }
}

/** The id of the task in the URL, if any; follows the address as it changes. */
export function useHashRoute(): string | undefined {
  const [hash, setHash] = useState(() => location.hash)
  useEffect(() => {
    const follow = (): void => setHash(location.hash)
    addEventListener('hashchange', follow)
    return () => removeEventListener('hashchange', follow)
  }, [])
  return selectedTask(hash)
}
