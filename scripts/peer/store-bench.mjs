// The peer's side of the store benchmark: the operations of crates/homevisit-store/benches/store.rs
// on automerge-repo 2.5 with its NodeFS storage, the peer's device-side stack. Copied next to the
// peer's package (shared/peers/automerge-repo) by scripts/bench-store-vs-peer and run there.
//
// - import: repo.create() 1,000 forms (same generator, same content) + repo.flush().
// - openToday: a new Repo on a 5,000-form directory finds every form and keeps one day's: the peer
//   has no query tables, so listing a day means loading the documents.
// - edit: one single-character Automerge.splice into a random form's text field, then
//   repo.flush([id]) so the edit has reached the file system (like homevisit's Crash durability:
//   written to the OS, no fsync).
// Prints one JSON line on stdout. Options: --runs 3 --visits 5000 --edits 1000.
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import * as Automerge from "@automerge/automerge"
import { Repo } from "@automerge/automerge-repo"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { makeDebrief, mulberry32 } from "./lib/form.mjs"

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : dflt
}
const runs = arg("--runs", 3), nVisits = arg("--visits", 5000), nEdits = arg("--edits", 1000)
const now = () => performance.now()
const median = v => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]
const nearestRank = (sorted, p) => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "peer-store-"))
const log = m => process.stderr.write(`peer store bench: ${m}\n`)

const repoAt = dir => new Repo({ storage: new NodeFSStorageAdapter(dir), network: [] })

// 1. Import 1,000 forms into a fresh repo.
const importMs = []
for (let r = 0; r < runs; r++) {
  const repo = repoAt(path.join(tmp, `import-${r}`))
  const t = now()
  for (let i = 0; i < 1000; i++) repo.create(makeDebrief(i))
  await repo.flush()
  importMs.push(now() - t)
  await repo.shutdown?.()
  log(`import run ${r}: ${importMs[r].toFixed(1)} ms`)
}

// 2. A repo of nVisits forms; open it and list the day of form 0.
const bigDir = path.join(tmp, "big")
let urls = []
{
  const repo = repoAt(bigDir)
  for (let i = 0; i < nVisits; i++) urls.push(repo.create(makeDebrief(i)).url)
  await repo.flush()
  await repo.shutdown?.()
}
const day = makeDebrief(0).visitDate.slice(0, 10)
const openMs = []
let todayCount = 0
let repo, handles
for (let r = 0; r < runs; r++) {
  const t = now()
  repo = repoAt(bigDir)
  handles = await Promise.all(urls.map(u => repo.find(u)))
  todayCount = handles.filter(h => h.doc().visitDate.slice(0, 10) === day).length
  openMs.push(now() - t)
  log(`open + today run ${r}: ${openMs[r].toFixed(1)} ms (${todayCount} forms that day)`)
  if (r < runs - 1) await repo.shutdown?.()
}

// 3. Durable single-character edits, `runs` rounds of nEdits.
const fields = [["notes", "hopesAndDreams"], ["notes", "invitation"], ["notes", "expectation"],
  ["reflection", "learned"], ["reflection", "assumptionsChanged"], ["reflection", "nextSteps"]]
const rng = mulberry32(7)
const p50s = [], p99s = [], maxes = []
for (let r = 0; r < runs; r++) {
  const lat = []
  for (let e = 0; e < nEdits; e++) {
    const h = handles[Math.floor(rng() * nVisits)]
    const f = fields[Math.floor(rng() * fields.length)]
    const len = h.doc()[f[0]][f[1]].length
    const pos = Math.floor(rng() * (len + 1))
    const t = now()
    h.change(d => Automerge.splice(d, f, pos, 0, "e"))
    await repo.flush([h.documentId])
    lat.push(now() - t)
  }
  lat.sort((a, b) => a - b)
  p50s.push(nearestRank(lat, 50)); p99s.push(nearestRank(lat, 99)); maxes.push(lat[lat.length - 1])
  log(`edit run ${r}: p50 ${p50s[r].toFixed(3)} ms p99 ${p99s[r].toFixed(3)} ms`)
}
await repo.shutdown?.()
fs.rmSync(tmp, { recursive: true, force: true })

console.log(JSON.stringify({
  bench: "peer-automerge-repo-store",
  runs, visits: nVisits,
  import1000Ms: median(importMs), import1000RunsMs: importMs,
  openAndTodayMs: median(openMs), openAndTodayRunsMs: openMs, todayVisits: todayCount,
  edit: { count: nEdits, p50Ms: median(p50s), p99Ms: median(p99s), maxMs: median(maxes), p99RunsMs: p99s },
  versions: Object.fromEntries(["@automerge/automerge", "@automerge/automerge-repo", "@automerge/automerge-repo-storage-nodefs"]
    .map(p => [p, JSON.parse(fs.readFileSync(new URL(`./node_modules/${p}/package.json`, import.meta.url))).version])),
  node: process.version,
}))
process.exit(0)
