// node --test scripts/peer/compare-sync.test.mjs
// The tables from a hand-made results file (testdata/sync-results.jsonl: made-up figures chosen so
// each ratio and target is known): ratios, targets met or not, run counts of a peer that stalled or
// was killed, the growth factor, and the Markdown form.
import { test } from "node:test"
import assert from "node:assert/strict"
import fs from "node:fs"
import path from "node:path"
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { failureKind, report, renderMarkdown, renderText, runsCell } from "./compare-sync.mjs"

const here = path.dirname(fileURLToPath(import.meta.url))
const fixture = path.join(here, "testdata", "sync-results.jsonl")
const rep = report(fs.readFileSync(fixture, "utf8"))
const section = title => rep.sections.find(s => s.title.startsWith(title)) ?? assert.fail(`no section ${title}`)
const row = (title, label) => section(title).rows.find(r => r[0] === label) ?? assert.fail(`no row ${label} in ${title}`)

test("W1 at N=1000: ratios against the JS peer and the 20x target", () => {
  assert.deepEqual(row("W1 fan-in, N=1,000", "upload (ms)"), ["upload (ms)", "100.0", "2,500", "25.0x", "not built", "n/a", ">= 20x faster", "JS yes"])
  assert.deepEqual(row("W1 fan-in, N=1,000", "download (ms)").slice(3), ["15.0x", "not built", "n/a", ">= 20x faster", "JS no"])
  assert.deepEqual(row("W1 fan-in, N=1,000", "bytes, download relay -> client").slice(6), ["<= peer", "JS no"])
  assert.deepEqual(row("W1 fan-in, N=1,000", "relay peak RSS").slice(1, 2).concat(row("W1 fan-in, N=1,000", "relay peak RSS").slice(6)), ["31.0 MB", "<= 50 MB", "yes"])
})

test("the speed target is only judged at N=1000", () => {
  assert.deepEqual(row("W1 fan-in, N=200", "upload (ms)").slice(6), ["", ""])
  assert.match(section("W1 fan-in, N=200").notes.join("\n"), /stated at N=1000/)
})

test("a peer's stalled and killed runs are counted, and its figures come from completed runs", () => {
  assert.equal(row("W1 fan-in, N=1,000", "runs completed")[2], "2/3 runs (1 stalled)")
  assert.equal(row("W1 fan-in, N=5,000", "runs completed")[2], "0/3 runs (3 killed at the bound)")
  assert.equal(row("W1 fan-in, N=5,000", "upload (ms)")[2], "timeout")
  assert.equal(row("W1 fan-in, N=5,000", "upload (ms)")[1], "600.0")
})

test("failure kinds and run cells", () => {
  assert.equal(failureKind("server ack timeout: 3/1000 docs not acked"), "stalled")
  assert.equal(failureKind("rpc download timed out after 140000ms"), "stalled")
  assert.equal(failureKind("Websocket not ready"), "crashed")
  assert.equal(failureKind("timeout: killed: no result within the 900 s bound"), "killed at the bound")
  assert.equal(failureKind("crashed: exit 1"), "crashed")
  assert.equal(runsCell({ status: "crashed", runsRequested: 3, runsCompleted: 0,
    runsFailed: [{ run: 1, error: "Websocket not ready" }, { run: 2, error: "stalled" }, { run: null, error: "crashed: x" }] }), "0/3 runs (2 crashed, 1 stalled)")
  assert.equal(runsCell({ status: "not built" }), "not built")
  // an older file: no run counts on the step, the peer's own failedRuns
  assert.equal(runsCell({ status: "ok", result: { runs: [{}, {}], failedRuns: [{ run: 3, error: "x" }] } }), "2/3 runs (1 failed)")
})

test("growth: per-document time at the largest N over the smallest, target 1.25x", () => {
  const up = row("W1: how the cost grows", "homevisit upload")
  assert.deepEqual(up.slice(1), ["30.0 (0.150)", "100.0 (0.100)", "600.0 (0.120)", "0.80x", "<= 1.25x (linear or better)", "yes"])
  const down = row("W1: how the cost grows", "homevisit download")
  assert.deepEqual(down.slice(4), ["1.50x", "<= 1.25x (linear or better)", "no"])
  assert.equal(row("W1: how the cost grows", "JS peer upload")[3], "timeout")
})

test("PostgreSQL against embedded at the same N", () => {
  assert.deepEqual(row("W1 on PostgreSQL", "upload (ms)").slice(1), ["100.0", "140.0", "1.40x", "<= 1.5x embedded", "yes"])
  assert.deepEqual(row("W1 on PostgreSQL", "download (ms)").slice(3), ["1.60x", "<= 1.5x embedded", "no"])
})

test("W2, W3 and phone targets", () => {
  assert.deepEqual(row("W2", "latency p99 (ms)").slice(1, 4), ["15.0", "110.0", "7.33x"])
  assert.deepEqual(row("W2", "latency p99 (ms)").slice(6), ["<= 20 ms", "yes"])
  assert.deepEqual(row("W3", "errors").slice(1), ["0", "skipped", "0", "embedded yes"])
  assert.deepEqual(row("W3", "with a hostile device: p99 / p99 without").slice(1), ["1.50x", "skipped", "<= 2", "embedded yes"])
  assert.deepEqual(row("W3", "relay peak RSS").slice(3), ["<= 150 MB", "embedded yes"])
  assert.deepEqual(row("Phone", "open a 5,000-visit store + list today (ms)").slice(1), ["80.0", "<= 100 ms", "yes"])
  assert.deepEqual(row("Phone", "mobile library, stripped").slice(1), ["6.7 MiB (7,000,000 bytes)", "<= 8 MiB (8,388,608 bytes)", "yes"])
})

test("header, text and Markdown output", () => {
  assert.match(rep.header.join("\n"), /2026-12-05T20:00:00Z; commit abc1234 \+ uncommitted changes; rustc 1\.95\.0/)
  assert.match(rep.header.join("\n"), /machine: Linux 6\.1\.0 x86_64; Fixture CPU @ 2\.0GHz; 2 CPUs/)
  const md = renderMarkdown(rep)
  assert.match(md, /\n\| metric \| homevisit \| JS peer \| JS peer \/ homevisit \| samod \| samod \/ homevisit \| target \| met \|\n\| --- \| ---: /)
  assert.match(md, /\| upload \(ms\) \| 100\.0 \| 2,500 \| 25\.0x \|/)
  const text = renderText(rep)
  assert.match(text, /^W1 fan-in, N=1,000$/m)
  // the command line prints the same
  const out = execFileSync(process.execPath, [path.join(here, "compare-sync.mjs"), "--markdown", fixture], { encoding: "utf8" })
  assert.equal(out.trimEnd(), md.trimEnd())
})
