// Every Markdown file of the repository: each relative link must reach a file or folder inside
// the repository (never `../shared` or anything else outside it), and each `#anchor` must name
// a heading (GitHub's slugs) or an explicit anchor of the target file.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, extname, join, relative, resolve, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_DIR } from './support/paths.js'

/** Folders never searched: installed, built, generated, or not ours. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.changeset', '.git', 'coverage', '.pack'])

function markdownFiles(dir: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) found.push(...markdownFiles(join(dir, entry.name)))
    } else if (entry.isFile() && entry.name.toLowerCase().endsWith('.md')) {
      found.push(join(dir, entry.name))
    }
  }
  return found
}

interface Link {
  line: number
  target: string
}

/**
 * The text outside code: fenced blocks (``` and ~~~) become empty lines and inline code spans
 * become spaces, so line numbers stay right and `[x](y)` inside code is not taken for a link.
 */
function withoutCode(markdown: string): string[] {
  let fence: string | undefined
  return markdown.split('\n').map((line) => {
    const opener = /^ {0,3}(`{3,}|~{3,})/.exec(line)
    if (fence !== undefined) {
      if (opener && opener[1]![0] === fence[0] && opener[1]!.length >= fence.length && line.trim() === opener[1]) fence = undefined
      return ''
    }
    if (opener) {
      fence = opener[1]
      return ''
    }
    return line.replace(/(`+)(?:(?!\1).)+?\1/g, (span) => ' '.repeat(span.length))
  })
}

/** Inline links and images `[text](target "title")`, reference definitions `[id]: target`, and `href`/`src` of HTML. */
function linksOf(markdown: string): Link[] {
  const links: Link[] = []
  withoutCode(markdown).forEach((text, i) => {
    const line = i + 1
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g)) links.push({ line, target: match[1]! })
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(text)
    if (definition) links.push({ line, target: definition[1]! })
    for (const match of text.matchAll(/<(?:a|img)\b[^>]*\s(?:href|src)="([^"]*)"/gi)) links.push({ line, target: match[1]! })
  })
  return links
}

/** GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const counts = new Map<string, number>()
  for (const line of withoutCodeKeepingSpans(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (heading) {
      const text = heading[1]!
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
        .replace(/<[^>]+>/g, '') // inline HTML tags
        .replace(/[`*~]|(?<!\w)_|_(?!\w)/g, '') // code and emphasis markers
      const slug = text
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
        .replace(/ /g, '-')
      const seen = counts.get(slug) ?? 0
      counts.set(slug, seen + 1)
      anchors.add(seen === 0 ? slug : `${slug}-${seen}`)
    }
    for (const match of line.matchAll(/<a\b[^>]*\s(?:id|name)="([^"]+)"/gi)) anchors.add(match[1]!)
  }
  return anchors
}

/** Like withoutCode, but inline code stays (its text is part of a heading's id). */
function withoutCodeKeepingSpans(markdown: string): string[] {
  const lines = markdown.split('\n')
  const blanked = withoutCode(markdown)
  return lines.map((line, i) => (blanked[i] === '' && line !== '' ? '' : line))
}

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i

/** Why `target`, linked from `file`, is broken; undefined when it is fine. */
function problemWith(file: string, target: string, readAnchors: (path: string) => Set<string>): string | undefined {
  if (target === '' || EXTERNAL.test(target) || target.startsWith('//')) {
    return target.startsWith('//') ? 'a protocol-relative URL leaves the repository' : undefined
  }
  const hash = target.indexOf('#')
  const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash)).replace(/\?.*$/, '')
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1))
  const path = pathPart === '' ? file : pathPart.startsWith('/') ? join(REPO_DIR, pathPart) : resolve(dirname(file), pathPart)
  const inside = relative(REPO_DIR, path)
  if (inside === '..' || inside.startsWith(`..${sep}`) || resolve(inside) === inside) return 'leaves the repository'
  let stats
  try {
    stats = statSync(path)
  } catch {
    return 'no such file'
  }
  if (anchor !== undefined && anchor !== '' && stats.isFile() && extname(path).toLowerCase() === '.md') {
    if (!readAnchors(path).has(anchor)) return `no heading or anchor "#${anchor}" in ${relative(REPO_DIR, path)}`
  }
  return undefined
}

const files = markdownFiles(REPO_DIR).sort()
const anchorCache = new Map<string, Set<string>>()
const readAnchors = (path: string): Set<string> => {
  let anchors = anchorCache.get(path)
  if (!anchors) anchorCache.set(path, (anchors = anchorsOf(readFileSync(path, 'utf8'))))
  return anchors
}

describe('Markdown links', () => {
  it('finds the Markdown files of the repository', () => {
    const names = files.map((file) => relative(REPO_DIR, file))
    expect(names).toContain('README.md')
    expect(names).toContain(join('packages', 'server', 'README.md'))
    expect(names.some((name) => name.split(sep).includes('node_modules'))).toBe(false)
  })

  it.each(files.map((file) => [relative(REPO_DIR, file), file]))('%s: every relative link resolves inside the repository', (_name, file) => {
    const broken = linksOf(readFileSync(file, 'utf8'))
      .map((link) => ({ ...link, problem: problemWith(file, link.target, readAnchors) }))
      .filter((link) => link.problem !== undefined)
      .map((link) => `${relative(REPO_DIR, file)}:${link.line}: ${link.target} (${link.problem})`)
    expect(broken).toEqual([])
  })

  it('reads the links and anchors GitHub would', () => {
    const sample = [
      '# Title',
      'See [a](./a.md#part-two "title"), ![b](img.png) and [c][ref].',
      '`[not](a-link)`',
      '```md',
      '[not](either)',
      '```',
      '[ref]: ../outside.md',
      '## Part `two`: the *end*',
      '## Part two',
      '<a id="custom"></a> <a href="x.md">x</a>',
    ].join('\n')
    expect(linksOf(sample)).toEqual([
      { line: 2, target: './a.md#part-two' },
      { line: 2, target: 'img.png' },
      { line: 7, target: '../outside.md' },
      { line: 10, target: 'x.md' },
    ])
    expect([...anchorsOf(sample)]).toEqual(['title', 'part-two-the-end', 'part-two', 'custom'])
    const readme = join(REPO_DIR, 'README.md')
    expect(problemWith(readme, '../shared/SPEC.md', readAnchors)).toBe('leaves the repository')
    expect(problemWith(readme, 'https://example.com/x', readAnchors)).toBeUndefined()
    expect(problemWith(readme, './packages/server/README.md#no-such-heading', readAnchors)).toMatch(/^no heading/)
    expect(problemWith(readme, './no-such-file.md', readAnchors)).toBe('no such file')
  })
})
