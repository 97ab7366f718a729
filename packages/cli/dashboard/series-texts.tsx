// The text each accumulate series has built so far, as the producer streamed it.
export function SeriesTexts({ texts }: { texts: ReadonlyArray<readonly [string, string]> }) {
  if (texts.length === 0) return null
  return (
    <section className="panel" aria-labelledby="text-heading">
      <h3 id="text-heading">Text</h3>
      {texts.map(([seriesId, text]) => (
        <figure key={seriesId} className="series">
          <figcaption>
            Series <code>{seriesId}</code> · {text.length.toLocaleString()} characters
          </figcaption>
          <pre className="series-text" data-series={seriesId} tabIndex={0}>
            {text}
          </pre>
        </figure>
      ))}
    </section>
  )
}
