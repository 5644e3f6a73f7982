// Prints the homevisit vs peer store comparison from the two benchmarks' JSON lines.
const [ours, peer] = process.argv.slice(2).map(s => JSON.parse(s))
const crash = ours.edit.find(e => e.durability === "Crash")
const power = ours.edit.find(e => e.durability === "PowerLoss")
const rows = [
  ["import 1,000 visits (ms)", ours.import1000Ms, peer.import1000Ms, "<= 1000"],
  [`open ${ours.visits}-visit store + list a day (ms)`, ours.openAndTodayMs, peer.openAndTodayMs, "<= 100"],
  ["durable edit p50 (ms), no fsync", crash.p50Ms, peer.edit.p50Ms, ""],
  ["durable edit p99 (ms), no fsync", crash.p99Ms, peer.edit.p99Ms, "<= 2"],
  ["durable edit p99 (ms), fsync (homevisit PowerLoss)", power.p99Ms, null, ""],
]
const f = v => (v == null ? "-" : v < 10 ? v.toFixed(3) : v.toFixed(1))
console.log(`store benchmark, median of ${ours.runs} runs, ${ours.visits} visits (peer: ${Object.entries(peer.versions).map(([k, v]) => `${k.split("/")[1]} ${v}`).join(", ")}, node ${peer.node})`)
console.log("| measure | homevisit | peer | peer / homevisit | target |")
console.log("| --- | ---: | ---: | ---: | ---: |")
for (const [name, a, b, target] of rows) {
  console.log(`| ${name} | ${f(a)} | ${f(b)} | ${b == null ? "-" : (b / a).toFixed(1) + "x"} | ${target} |`)
}
console.log(`(one day: homevisit listed ${ours.todayVisits} visits, the peer ${peer.todayVisits} forms)`)
