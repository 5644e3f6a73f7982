// Prints the homevisit vs peer sync comparison (W1 fan-in, W2 live co-edit latency) from the
// results file written by scripts/bench-sync-vs-peer: one JSON line per step,
// {"side","workload","status","exit","result":<the benchmark's own JSON line>}, after an "env" line.
// Usage: node scripts/peer/compare-sync.mjs RESULTS.jsonl
// A value a benchmark did not report prints "n/a"; a benchmark that did not run prints its status.
import fs from "node:fs"

const file = process.argv[2]
if (!file) { console.error("usage: node compare-sync.mjs RESULTS.jsonl"); process.exit(2) }
const lines = fs.readFileSync(file, "utf8").split("\n").filter(l => l.trim()).map(l => JSON.parse(l))
const env = lines.find(l => l.side === "env") ?? {}
const step = (side, workload) => lines.find(l => l.side === side && l.workload === workload)

const MB = 1e6
const RSS_TARGET = 50 * MB
const get = (obj, path) => path.reduce((o, k) => (o == null ? undefined : o[k]), obj)
const num = v => (typeof v === "number" && Number.isFinite(v) ? v : null)

const fmt = {
  ms: v => (v < 10 ? v.toFixed(3) : v < 1000 ? v.toFixed(1) : v.toFixed(0)),
  bytes: v => (Number.isInteger(v) ? v.toLocaleString("en-US") : v.toFixed(1)),
  mb: v => `${(v / MB).toFixed(1)} MB`,
}
const runFmt = { ms: v => (v < 100 ? v.toFixed(1) : v.toFixed(0)), bytes: fmt.bytes, mb: v => (v / MB).toFixed(1) }

// target kinds: "faster10" (peer/homevisit >= 10), "lePeer" (homevisit <= peer),
// "rss" (homevisit <= 50 MB), "le20ms" (homevisit <= 20 ms), null (no target)
const targets = {
  faster10: { text: ">= 10x faster", met: (a, b) => (a != null && b != null ? b / a >= 10 : null) },
  lePeer: { text: "<= peer", met: (a, b) => (a != null && b != null ? a <= b : null) },
  rss: { text: "<= 50 MB", met: a => (a != null ? a <= RSS_TARGET : null) },
  le20ms: { text: "<= 20 ms", met: a => (a != null ? a <= 20 : null) },
}

const n = env.args?.n
const w1Rows = [
  [`W1 N=${n} upload (ms)`, ["uploadMs"], "ms", "faster10"],
  [`W1 N=${n} download (ms)`, ["downloadMs"], "ms", "faster10"],
  ["W1 bytes, upload c->s", ["upload", "clientToServer", "payloadBytes"], "bytes", "lePeer"],
  ["W1 bytes, upload s->c", ["upload", "serverToClient", "payloadBytes"], "bytes", "lePeer"],
  ["W1 bytes, download c->s", ["download", "clientToServer", "payloadBytes"], "bytes", "lePeer"],
  ["W1 bytes, download s->c", ["download", "serverToClient", "payloadBytes"], "bytes", "lePeer"],
  ["W1 relay peak RSS", ["serverPeakRssBytes"], "mb", "rss"],
]
const w2Rows = [
  [`W2 ${env.args?.edits} edits, latency p50 (ms)`, ["p50Ms"], "ms", null],
  ["W2 latency p95 (ms)", ["p95Ms"], "ms", null],
  ["W2 latency p99 (ms)", ["p99Ms"], "ms", "le20ms"],
  ["W2 bytes/edit, A -> relay", ["bytesPerEdit", "aToServerPayload"], "bytes", "lePeer"],
  ["W2 bytes/edit, relay -> B", ["bytesPerEdit", "serverToBPayload"], "bytes", "lePeer"],
  ["W2 bytes/edit, relay -> A", ["bytesPerEdit", "serverToAPayload"], "bytes", "lePeer"],
  ["W2 bytes/edit, B -> relay", ["bytesPerEdit", "bToServerPayload"], "bytes", "lePeer"],
  ["W2 relay peak RSS", ["serverPeakRssBytes"], "mb", "rss"],
]

const table = []
const runLists = []
const notes = []
for (const [wl, rows] of [["w1", w1Rows], ["w2", w2Rows]]) {
  const ours = step("homevisit", wl), peer = step("peer", wl)
  if (!ours && !peer) continue // workload not requested
  const okOurs = ours?.status === "ok", okPeer = peer?.status === "ok"
  for (const s of [ours, peer]) {
    if (s && s.status !== "ok") notes.push(`${s.side} ${wl}: ${s.status}${s.exit != null ? ` (exit ${s.exit})` : ""}`)
  }
  if (okOurs && okPeer) {
    const o = ours.result, p = peer.result
    if (wl === "w1" && o.n !== p.n) notes.push(`W1 sizes differ: homevisit n=${o.n}, peer n=${p.n}`)
    if (wl === "w2" && (o.edits !== p.edits || o.gapMs !== p.gapMs)) {
      notes.push(`W2 settings differ: homevisit edits=${o.edits} gapMs=${o.gapMs}, peer edits=${p.edits} gapMs=${p.gapMs}`)
    }
  }
  for (const [label, path, unit, targetKind] of rows) {
    const a = okOurs ? num(get(ours.result.median, path)) : null
    const b = okPeer ? num(get(peer.result.median, path)) : null
    const cell = (s, ok, v) => (!s ? "n/a" : !ok ? s.status : v == null ? "n/a" : fmt[unit](v))
    let ratio = "n/a"
    if (a != null && b != null && a > 0) ratio = `${(b / a).toFixed(b / a < 10 ? 2 : 1)}x`
    const target = targetKind ? targets[targetKind] : null
    const met = target ? target.met(a, b) : undefined
    table.push([label, cell(ours, okOurs, a), cell(peer, okPeer, b), ratio, target ? target.text : "",
      met === undefined ? "" : met === null ? "n/a" : met ? "yes" : "no"])
    const list = (s, ok) => {
      if (!ok) return "n/a"
      const vs = (s.result.runs ?? []).map(r => num(get(r, path)))
      return vs.length ? vs.map(v => (v == null ? "n/a" : runFmt[unit](v))).join("/") : "n/a"
    }
    runLists.push(`- ${label}: homevisit ${list(ours, okOurs)}; peer ${list(peer, okPeer)}`)
  }
}

const runsOf = wl => {
  const s = step("homevisit", wl), p = step("peer", wl)
  return `homevisit ${s?.status === "ok" ? s.result.runs?.length ?? "n/a" : "n/a"}, peer ${p?.status === "ok" ? p.result.runs?.length ?? "n/a" : "n/a"}`
}
const ran = ["w1", "w2"].filter(wl => step("homevisit", wl) || step("peer", wl))
console.log(`sync benchmarks, medians (runs: ${ran.map(wl => `${wl.toUpperCase()} ${runsOf(wl)}`).join("; ")}); ` +
  `homevisit ${env.git ?? "?"}${env.gitDirty ? " + uncommitted changes" : ""}, ${env.rustc ?? "rustc ?"}; ${env.cpus ?? "?"} CPUs`)
console.log()
console.log("| measure | homevisit | peer | peer / homevisit | target | met? |")
console.log("| --- | ---: | ---: | ---: | --- | --- |")
for (const r of table) console.log(`| ${r.join(" | ")} |`)
console.log()
console.log("Per-run values behind each median (in run order; RSS in MB):")
for (const l of runLists) console.log(l)
console.log()
console.log("peer / homevisit: speed-up for times (> 1: homevisit faster), ratio for bytes and RSS (> 1: homevisit smaller).")
console.log("Bytes: payload bytes only; homevisit = HTTP request/response bodies, peer = WebSocket message payloads (no HTTP headers, no WS framing, no TCP).")
for (const wl of ["w1", "w2"]) {
  const p = step("peer", wl)
  if (p?.status !== "ok") continue
  const m = p.result.meta ?? {}
  const versions = Object.entries(m.versions ?? {}).map(([k, v]) => `${k} ${v ?? "n/a"}`).join(", ") || "n/a"
  console.log(`peer ${wl.toUpperCase()}: ${versions}; node ${m.node ?? "n/a"}; cbor-extract native: ${m.cborExtractNative ?? "n/a"}; ` +
    `${m.cpus ?? "?"} CPUs (${m.cpuModel ?? "?"})`)
}
for (const wl of ["w1", "w2"]) { // a benchmark that reports failed syncs (e.g. rate-limited retries)
  const s = step("homevisit", wl)
  const f = s?.status === "ok" ? num(s.result.median?.syncFailures) : null
  if (f) notes.push(`homevisit ${wl.toUpperCase()} reports syncFailures=${f} (median): failed syncs were retried during the measurement`)
}
if (step("peer", "w1") && n !== 1000) notes.push(`the >= 10x target is stated for N=1000; this run used N=${n}`)
for (const note of notes) console.log(`NOTE: ${note}`)
