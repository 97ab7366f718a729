// A stand-in for an LLM API: `POST /llm` answers with plain text, one word at a time, slowly,
// as a model streams tokens. It ignores the prompt. It logs whether the caller read the answer
// to its end or hung up before, which is how you can see the agent's Stop reach the "LLM".
export const ANSWER =
  'The largest folder is taskcast, at 412 MB, and most of it is node_modules. ' +
  'Deleting node_modules and installing again when you next work on it would free about 380 MB; ' +
  'every other project takes less than 20 MB.'

/**
 * A Hono handler streaming ANSWER word by word, `delayMs` apart.
 * @param {{ delayMs: number, log: (line: string) => void }} options
 */
export function slowLlm({ delayMs, log }) {
  const words = ANSWER.split(/(?<= )/) // keeps the spaces, so the words join back exactly
  return () => {
    let sent = 0
    const body = new ReadableStream({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, delayMs))
        controller.enqueue(new TextEncoder().encode(words[sent++]))
        if (sent === words.length) {
          controller.close()
          log(`llm: sent all ${words.length} words`)
        }
      },
      // Called when the caller closes the connection before the end: an aborted fetch.
      cancel() {
        log(`llm: request closed after ${sent} of ${words.length} words`)
      },
    })
    return new Response(body, { headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' } })
  }
}
