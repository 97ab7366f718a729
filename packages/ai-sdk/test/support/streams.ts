// Small stream helpers for the tests.

/** A stream of `items`, closed after the last. */
export function streamOf<T>(items: readonly T[]): ReadableStream<T> {
  return new ReadableStream<T>({
    start(controller) {
      for (const item of items) controller.enqueue(item)
      controller.close()
    },
  })
}

/** Every item of a stream, in order. */
export async function itemsOf<T>(stream: ReadableStream<T>): Promise<T[]> {
  const items: T[] = []
  const reader = stream.getReader()
  for (let read = await reader.read(); !read.done; read = await reader.read()) items.push(read.value)
  return items
}
