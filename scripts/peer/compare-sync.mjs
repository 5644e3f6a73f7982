// Prints the tables of issue 14 from a results file written by scripts/bench-sync-vs-peer: one JSON
// line per step, {"side","workload",("n","backend","part"),"status","exit","runsRequested",
// "runsCompleted","runsFailed","result":<the benchmark's own JSON line>}, after an "env" line.
//   node scripts/peer/compare-sync.mjs [--markdown] RESULTS.jsonl
// Plain aligned tables by default; --markdown prints the same tables as Markdown (for README.md).
// Sections: W1 per N (homevisit vs the JS peer and samod), how W1 grows with N, W1 on PostgreSQL vs
// embedded, W2, W3 (morning rush), phone. Every figure has its ratio and its target where the issue
// sets one. A value a benchmark did not report prints "n/a"; a step that did not run prints its
// status ("not built", "skipped", "timeout", ...). Peers' figures are medians over their completed
// runs; their failed runs are counted ("2/3 runs (1 stalled)"). Older results files (one N, no run
// counts) still print.
import fs from "node:fs"
import { pathToFileURL } from "node:url"

const MB = 1e6 // relay RSS targets are in MB (10^6 bytes)
const MIB = 1024 * 1024 // the mobile library target: 8 MiB
const TARGET_N = 1000 // the N at which W1's speed and RSS targets are stated
const get = (obj, path) => path.reduce((o, k) => (o == null ? undefined : o[k]), obj)
const num = v => (typeof v === "number" && Number.isFinite(v) ? v : null)

const group = (v, d) => v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d })
export const fmt = {
  ms: v => group(v, v < 10 ? 2 : v < 1000 ? 1 : 0),
  perDoc: v => v.toFixed(3),
  bytes: v => group(v, Number.isInteger(v) ? 0 : 1),
  mb: v => `${(v / MB).toFixed(1)} MB`,
  count: v => group(v, Number.isInteger(v) ? 0 : 1),
  ratio: v => `${v.toFixed(v < 10 ? 2 : 1)}x`,
}

const PEERS = [["peer", "JS peer"], ["samod", "samod"]]

/** Reads the results file's lines into a lookup of steps. */
export function load(text) {
  const lines = text.split("\n").filter(l => l.trim()).map(l => JSON.parse(l))
  const env = lines.find(l => l.side === "env") ?? {}
  const args = env.args ?? {}
  const ns = (Array.isArray(args.n) ? args.n : args.n != null ? [args.n] : []).map(Number)
  const steps = lines.filter(l => l.side !== "env").map(l => ({
    ...l,
    // older files: one N (in env), no backend
    n: l.n ?? l.result?.n ?? (l.workload === "w1" ? ns[0] : undefined),
    backend: l.backend ?? l.result?.backend ?? (l.side === "homevisit" && ["w1", "w2", "w3"].includes(l.workload) ? "embedded" : undefined),
  }))
  const find = (side, workload, where = {}) =>
    steps.find(s => s.side === side && s.workload === workload && Object.entries(where).every(([k, v]) => s[k] === v))
  return { env, args, ns, steps, find }
}

const ok = s => s?.status === "ok" && s.result != null
const med = (s, path) => (ok(s) ? num(get(s.result.median ?? s.result, path)) : null)
/** A value cell: the number formatted, or why there is none. */
const cell = (s, v, unit) => (!s ? "n/a" : !ok(s) ? s.status : v == null ? "n/a" : fmt[unit](v))
const ratioCell = (ours, peer) => (ours != null && peer != null && ours > 0 ? fmt.ratio(peer / ours) : "n/a")
const yesNo = m => (m == null ? "n/a" : m ? "yes" : "no")
/** A step that was left out on purpose or does not exist yet has no say in "met". */
const absent = s => !s || s.status === "not built" || s.status === "skipped"

/** What went wrong in one failed run, in a word. */
export function failureKind(error) {
  const e = String(error ?? "")
  if (/^timeout:/.test(e)) return "killed at the bound"
  if (/^(no result|wrong result):/.test(e)) return "no result"
  if (/stall|time ?out|timed out/i.test(e)) return "stalled"
  return "crashed"
}

/** "3/3 runs", "2/3 runs (1 stalled)", or the step's status when it did not run. */
export function runsCell(s) {
  if (!s) return "n/a"
  if (s.runsRequested == null) { // an older file, or a step that does not count runs
    if (!ok(s)) return s.status
    const done = Array.isArray(s.result.runs) ? s.result.runs.length : null
    const failed = s.result.failedRuns?.length ?? 0
    return done == null ? "ok" : `${done}/${done + failed} runs${failed ? ` (${failed} failed)` : ""}`
  }
  if (["not built", "skipped"].includes(s.status)) return s.status
  const kinds = {}
  for (const f of s.runsFailed ?? []) kinds[failureKind(f.error)] = (kinds[failureKind(f.error)] ?? 0) + 1
  const why = Object.entries(kinds).map(([k, c]) => `${c} ${k}`).join(", ")
  return `${s.runsCompleted}/${s.runsRequested} runs${why ? ` (${why})` : ""}`
}

/** Rows comparing ours with both peers: [label, path, unit, target] where target is
 * {text, met(ours, peer) | metOurs(ours)} or null. */
function peerTable(title, ours, peers, rows) {
  const columns = ["metric", "homevisit", "JS peer", "JS peer / homevisit", "samod", "samod / homevisit", "target", "met"]
  const out = [["runs completed", runsCell(ours), runsCell(peers.peer), "", runsCell(peers.samod), "", "", ""]]
  for (const [label, path, unit, target] of rows) {
    const a = med(ours, path)
    const vs = PEERS.map(([side]) => med(peers[side], path))
    let met = ""
    if (target?.metOurs) met = yesNo(a == null ? null : target.metOurs(a))
    else if (target?.met) {
      met = PEERS.map(([side, name], i) => `${name.split(" ")[0]} ${yesNo(a == null || vs[i] == null ? null : target.met(a, vs[i]))}`)
        .filter((m, i) => i === 0 || !absent(peers[PEERS[i][0]])).join(" · ")
    }
    out.push([label, cell(ours, a, unit), cell(peers.peer, vs[0], unit), ratioCell(a, vs[0]),
      cell(peers.samod, vs[1], unit), ratioCell(a, vs[1]), target?.text ?? "", met])
  }
  return { title, columns, rows: out, notes: [] }
}

const faster20 = { text: ">= 20x faster", met: (a, p) => p / a >= 20 }
const lePeer = { text: "<= peer", met: (a, p) => a <= p }
const rss50 = { text: "<= 50 MB", metOurs: a => a <= 50 * MB }
const le20ms = { text: "<= 20 ms", metOurs: a => a <= 20 }

function w1Sections(d) {
  const sections = []
  const ns = [...new Set([...d.ns, ...d.steps.filter(s => s.workload === "w1").map(s => s.n)])].filter(n => n != null)
  ns.sort((a, b) => a - b)
  for (const n of ns) {
    const ours = d.find("homevisit", "w1", { n, backend: "embedded" })
    const peers = { peer: d.find("peer", "w1", { n }), samod: d.find("samod", "w1", { n }) }
    if (!ours && !peers.peer && !peers.samod) continue
    const at = n === TARGET_N
    const rows = [
      ["upload (ms)", ["uploadMs"], "ms", at ? faster20 : null],
      ["download (ms)", ["downloadMs"], "ms", at ? faster20 : null],
      ["bytes, upload client -> relay", ["upload", "clientToServer", "payloadBytes"], "bytes", lePeer],
      ["bytes, upload relay -> client", ["upload", "serverToClient", "payloadBytes"], "bytes", lePeer],
      ["bytes, download client -> relay", ["download", "clientToServer", "payloadBytes"], "bytes", lePeer],
      ["bytes, download relay -> client", ["download", "serverToClient", "payloadBytes"], "bytes", lePeer],
      ["relay peak RSS", ["serverPeakRssBytes"], "mb", at ? rss50 : null],
    ]
    const t = peerTable(`W1 fan-in, N=${n.toLocaleString("en-US")}`, ours, peers, rows)
    if (!at) t.notes.push(`the speed (>= 20x) and RSS (<= 50 MB) targets are stated at N=${TARGET_N}: ratios here are for information`)
    for (const s of [ours, peers.peer, peers.samod]) if (s && !ok(s) && s.reason) t.notes.push(`${s.side}: ${s.status}: ${s.reason}`)
    sections.push(t)
  }
  if (ns.length && !ns.includes(TARGET_N) && d.find("peer", "w1")) {
    sections.at(-1)?.notes.push(`this run has no N=${TARGET_N}, where the W1 targets are stated`)
  }
  if (ns.length > 1) sections.push(growth(d, ns))
  return sections
}

/** How W1's time grows with N: per N the time and time per document; ours should grow linearly or
 * better (per-document time at the largest N <= 1.25x that at the smallest). */
export function growth(d, ns) {
  const lo = ns[0], hi = ns.at(-1)
  const columns = ["system, phase", ...ns.map(n => `N=${n.toLocaleString("en-US")}: ms (ms/doc)`),
    `ms/doc N=${hi} / N=${lo}`, "target", "met"]
  const rows = []
  for (const [side, name] of [["homevisit", "homevisit"], ...PEERS]) {
    for (const [phase, key] of [["upload", "uploadMs"], ["download", "downloadMs"]]) {
      const per = {}
      const cells = ns.map(n => {
        const s = d.find(side, "w1", side === "homevisit" ? { n, backend: "embedded" } : { n })
        const v = med(s, [key])
        if (v != null) per[n] = v / n
        return !s ? "n/a" : !ok(s) ? s.status : v == null ? "n/a" : `${fmt.ms(v)} (${fmt.perDoc(v / n)})`
      })
      if (cells.every(c => c === "n/a")) continue
      const factor = per[lo] != null && per[hi] != null && per[lo] > 0 ? per[hi] / per[lo] : null
      const ours = side === "homevisit"
      rows.push([`${name} ${phase}`, ...cells, factor == null ? "n/a" : fmt.ratio(factor),
        ours ? "<= 1.25x (linear or better)" : "", ours ? yesNo(factor == null ? null : factor <= 1.25) : ""])
    }
  }
  return { title: "W1: how the cost grows with N", columns, rows,
    notes: ["ms/doc = median time / N; a factor <= 1 means the time per document does not grow"] }
}

function pgSection(d) {
  const pg = d.steps.find(s => s.side === "homevisit" && s.workload === "w1" && s.backend === "postgres")
  if (!pg) return []
  const n = pg.n
  const emb = d.find("homevisit", "w1", { n, backend: "embedded" })
  const columns = ["metric", "embedded", "PostgreSQL, 2 instances", "PostgreSQL / embedded", "target", "met"]
  const le15 = { text: "<= 1.5x embedded", met: r => r <= 1.5 }
  const rows = [["runs completed", runsCell(emb), runsCell(pg), "", "", ""]]
  for (const [label, path, unit, target] of [
    ["upload (ms)", ["uploadMs"], "ms", le15],
    ["download (ms)", ["downloadMs"], "ms", le15],
    ["bytes, upload client -> relay", ["upload", "clientToServer", "payloadBytes"], "bytes", null],
    ["bytes, download relay -> client", ["download", "serverToClient", "payloadBytes"], "bytes", null],
    ["relay peak RSS", ["serverPeakRssBytes"], "mb", null],
  ]) {
    const a = med(emb, path), b = med(pg, path)
    const r = a != null && b != null && a > 0 ? b / a : null
    rows.push([label, cell(emb, a, unit), cell(pg, b, unit), r == null ? "n/a" : fmt.ratio(r),
      target?.text ?? "", target ? yesNo(r == null ? null : target.met(r)) : ""])
  }
  const notes = []
  if (pg.reason) notes.push(`PostgreSQL: ${pg.status}: ${pg.reason}`)
  if (ok(pg) && pg.result.instances != null) notes.push(`relay instances on PostgreSQL: ${pg.result.instances}`)
  return [{ title: `W1 on PostgreSQL vs the embedded relay, N=${n?.toLocaleString("en-US")}`, columns, rows, notes }]
}

function w2Section(d) {
  const ours = d.find("homevisit", "w2"), peers = { peer: d.find("peer", "w2"), samod: d.find("samod", "w2") }
  if (!ours && !peers.peer && !peers.samod) return []
  const edits = ours?.result?.edits ?? peers.peer?.result?.edits ?? d.args.edits
  const t = peerTable(`W2 live co-edit latency, ${edits} edits, gap 0`, ours, peers, [
    ["latency p50 (ms)", ["p50Ms"], "ms", null],
    ["latency p95 (ms)", ["p95Ms"], "ms", null],
    ["latency p99 (ms)", ["p99Ms"], "ms", le20ms],
    ["bytes/edit, A -> relay", ["bytesPerEdit", "aToServerPayload"], "bytes", lePeer],
    ["bytes/edit, relay -> B", ["bytesPerEdit", "serverToBPayload"], "bytes", lePeer],
    ["bytes/edit, relay -> A", ["bytesPerEdit", "serverToAPayload"], "bytes", lePeer],
    ["bytes/edit, B -> relay", ["bytesPerEdit", "bToServerPayload"], "bytes", lePeer],
    ["relay peak RSS", ["serverPeakRssBytes"], "mb", null],
  ])
  const f = med(ours, ["syncFailures"])
  if (f) t.notes.push(`homevisit reports syncFailures=${f} (median): failed syncs were retried during the measurement`)
  for (const s of [ours, peers.peer, peers.samod]) if (s && !ok(s) && s.reason) t.notes.push(`${s.side}: ${s.status}: ${s.reason}`)
  const gaps = [ours, peers.peer, peers.samod].filter(ok).map(s => `${s.side} gapMs=${s.result.gapMs}`)
  if (new Set(gaps.map(g => g.split("=")[1])).size > 1) t.notes.push(`W2 gaps differ: ${gaps.join(", ")}`)
  return [t]
}

function w3Section(d) {
  const emb = d.find("homevisit", "w3", { backend: "embedded" }), pg = d.find("homevisit", "w3", { backend: "postgres" })
  if (!emb && !pg) return []
  const both = [emb, pg]
  const columns = ["metric", "embedded, 1 instance", "PostgreSQL, 2 instances", "target", "met"]
  const runsOf = s => {
    if (!ok(s)) return s ? s.status : "n/a"
    const k = Array.isArray(s.result.runs) ? s.result.runs.length : null
    return k == null ? "ok" : `${k} run${k === 1 ? "" : "s"}`
  }
  const rows = [["runs", ...both.map(runsOf), "", ""]]
  const first = both.find(ok)?.result
  if (first) rows.push(["devices / schools / visits each", ...both.map(s => (ok(s) ? `${s.result.devices} / ${s.result.schools ?? "?"} / ${s.result.visitsPerDevice ?? "?"}` : "")), "", ""])
  for (const [label, path, unit, target] of [
    ["time to synced p50 (ms)", ["p50Ms"], "ms", null],
    ["time to synced p99 (ms)", ["p99Ms"], "ms", null],
    ["errors", ["errors"], "count", { text: "0", met: v => v === 0 }],
    ["retries", ["retries"], "count", null],
    ["relay peak RSS", ["serverPeakRssBytes"], "mb", { text: "<= 150 MB", met: v => v <= 150 * MB }],
    ["wall time (ms)", ["wallMs"], "ms", null],
    ["with a hostile device: others' p50 (ms)", ["hostile", "p50Ms"], "ms", null],
    ["with a hostile device: others' p99 (ms)", ["hostile", "p99Ms"], "ms", null],
    ["with a hostile device: errors", ["hostile", "errors"], "count", null],
    ["with a hostile device: p99 / p99 without", ["hostile", "p99Ratio"], "ratio", { text: "<= 2", met: v => v <= 2 }],
  ]) {
    const vs = both.map(s => med(s, path))
    const met = target ? both.map((s, i) => (absent(s) ? null : `${i ? "pg" : "embedded"} ${yesNo(vs[i] == null ? null : target.met(vs[i]))}`)).filter(Boolean).join(" · ") : ""
    rows.push([label, ...both.map((s, i) => cell(s, vs[i], unit)), target?.text ?? "", met])
  }
  const notes = both.filter(s => s && !ok(s) && s.reason).map(s => `${s.backend}: ${s.status}: ${s.reason}`)
  return [{ title: "W3 morning rush (homevisit only)", columns, rows, notes }]
}

function phoneSection(d) {
  const store = d.find("homevisit", "phone", { part: "store" }), lib = d.find("homevisit", "phone", { part: "library" })
  if (!store && !lib) return []
  const columns = ["metric", "homevisit", "target", "met"]
  const open = ok(store) ? num(store.result.openAndTodayMs) : null
  const visits = ok(store) ? store.result.visits : 5000
  const bytes = ok(lib) ? num(lib.result.bytes) : null
  const rows = [
    [`open a ${visits.toLocaleString("en-US")}-visit store + list today (ms)`, cell(store, open, "ms"), "<= 100 ms", yesNo(open == null ? null : open <= 100)],
    ["mobile library, stripped", !lib ? "n/a" : !ok(lib) ? lib.status : `${(bytes / MIB).toFixed(1)} MiB (${fmt.bytes(bytes)} bytes)`,
      "<= 8 MiB (8,388,608 bytes)", yesNo(bytes == null ? null : bytes <= 8 * MIB)],
  ]
  const notes = []
  if (ok(store) && Array.isArray(store.result.openAndTodayRunsMs)) {
    notes.push(`open + today, each run (ms): ${store.result.openAndTodayRunsMs.map(v => v.toFixed(1)).join(" / ")} (median of ${store.result.runs})`)
  }
  if (ok(lib)) notes.push(`library: ${lib.result.path.replace(/.*\/target\//, "target/")}${lib.result.strippedByProfile ? " (stripped by the mobile profile)" : ` (not stripped by the profile: a stripped copy measured; the file is ${fmt.bytes(lib.result.fileBytes)} bytes)`}`)
  for (const s of [store, lib]) if (s && !ok(s) && s.reason) notes.push(`${s.part}: ${s.status}: ${s.reason}`)
  return [{ title: "Phone", columns, rows, notes }]
}

/** Per-run values behind the medians of the main times. */
function perRun(d) {
  const out = []
  const list = (s, path) => (ok(s) && Array.isArray(s.result.runs) ? s.result.runs.map(r => { const v = num(get(r, path)); return v == null ? "n/a" : fmt.ms(v) }).join(" / ") : null)
  for (const s of d.steps) {
    const paths = s.workload === "w1" ? [["upload", ["uploadMs"]], ["download", ["downloadMs"]]]
      : s.workload === "w2" ? [["p99", ["p99Ms"]]] : s.workload === "w3" ? [["p99", ["p99Ms"]]] : []
    for (const [name, path] of paths) {
      const l = list(s, path)
      const who = Object.fromEntries(PEERS)[s.side] ?? s.side
      if (l) out.push(`${s.workload.toUpperCase()}${s.n != null && s.workload === "w1" ? ` N=${s.n}` : ""} ${who}${s.backend && s.side === "homevisit" ? ` (${s.backend})` : ""} ${name} ms: ${l}`)
    }
  }
  return out
}

export function report(text) {
  const d = load(text)
  const e = d.env
  const header = [
    `homevisit benchmarks (issue 14), ${e.date ?? "date ?"}; commit ${e.git ?? "?"}${e.gitDirty ? " + uncommitted changes" : ""}; ${e.rustc ?? "rustc ?"}`,
    `machine: ${e.machine ?? "?"}; ${e.cpuModel ?? "CPU ?"}; ${e.cpus ?? "?"} CPUs`,
    `runs per step: ${d.args.runs ?? "?"} (medians; peers' over their completed runs); peers' stall bound ${d.args.stallS ?? "?"} s`,
  ]
  const sections = [...w1Sections(d), ...pgSection(d), ...w2Section(d), ...w3Section(d), ...phoneSection(d)]
  const notes = [
    "X / homevisit: for times, how many times faster homevisit is (> 1: homevisit faster); for bytes and RSS, how many times smaller (> 1: homevisit smaller).",
    "Bytes: payload only; homevisit = HTTP request/response bodies, peers = WebSocket message payloads (no HTTP headers, no WS framing, no TCP).",
  ]
  for (const [side, name] of PEERS) {
    const s = d.steps.find(x => x.side === side && ok(x) && x.result.meta)
    if (!s) continue
    const m = s.result.meta
    // the JS peer lists {versions: {package: version}}; samod puts {samod: "0.16.0", ...} in meta itself
    const listed = m.versions ?? Object.fromEntries(Object.entries(m).filter(([, v]) => /^\d+\.\d+\.\d+/.test(String(v))))
    const versions = Object.entries(listed).map(([k, v]) => `${k} ${v ?? "n/a"}`).join(", ") || "n/a"
    notes.push(`${name}: ${versions}${m.node ? `; node ${m.node}` : ""}${m.cborExtractNative != null ? `; cbor-extract native: ${m.cborExtractNative}` : ""}`)
  }
  return { header, sections, notes, perRun: perRun(d) }
}

/** The label, target and met columns are text (left-aligned); the others hold figures. */
const textColumn = (name, i) => i === 0 || name === "target" || name === "met"

export function renderText(rep) {
  const out = [...rep.header, ""]
  for (const s of rep.sections) {
    out.push(s.title)
    const widths = s.columns.map((c, i) => Math.max(c.length, ...s.rows.map(r => String(r[i]).length)))
    const line = r => r.map((c, i) => (textColumn(s.columns[i], i) ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ").trimEnd()
    out.push(line(s.columns), widths.map(w => "-".repeat(w)).join("  "))
    for (const r of s.rows) out.push(line(r))
    for (const n of s.notes) out.push(`  note: ${n}`)
    out.push("")
  }
  if (rep.perRun.length) out.push("Per-run values behind the medians:", ...rep.perRun.map(l => `  ${l}`), "")
  out.push(...rep.notes)
  return out.join("\n")
}

export function renderMarkdown(rep) {
  const esc = c => String(c).replaceAll("|", "\\|")
  const out = [rep.header.join("  \n"), ""]
  for (const s of rep.sections) {
    out.push(`**${s.title}**`, "")
    out.push(`| ${s.columns.map(esc).join(" | ")} |`)
    out.push(`| ${s.columns.map((c, i) => (textColumn(c, i) ? "---" : "---:")).join(" | ")} |`)
    for (const r of s.rows) out.push(`| ${r.map(esc).join(" | ")} |`)
    if (s.notes.length) out.push("", ...s.notes.map(n => `- ${n}`))
    out.push("")
  }
  out.push(...rep.notes.map(n => `- ${n}`))
  return out.join("\n")
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2)
  const markdown = args.includes("--markdown")
  const file = args.find(a => !a.startsWith("--"))
  if (!file) { console.error("usage: node compare-sync.mjs [--markdown] RESULTS.jsonl"); process.exit(2) }
  const rep = report(fs.readFileSync(file, "utf8"))
  console.log(markdown ? renderMarkdown(rep) : renderText(rep))
}
