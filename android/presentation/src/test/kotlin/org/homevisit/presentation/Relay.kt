package org.homevisit.presentation

// Adapted from bindings/kotlin's Support.kt (a separate Maven project, so copied): the same demo
// relay start-up, plus the administrator's commands the revocation test needs.

import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.Assertions.fail

/**
 * A real `homevisit-relay` for one test class: `serve --demo` on a free loopback port, with its
 * data in [dataDir]. It prints its address, then one single-use invite code each for Elena Rivera and
 * Grace Okafor (educators who share visits) and Dana Johnson (their coordinator). It stops by itself
 * after 300 s if a test run dies without closing it.
 */
class Relay private constructor(
    private val binary: String,
    private val dataDir: Path,
    private val process: Process,
    val url: String,
    private val codes: Map<String, String>,
    private val log: File,
) : AutoCloseable {
    /** The invite code the relay printed for [name] ("Elena Rivera", "Grace Okafor", "Dana Johnson"). */
    fun invite(name: String): String = codes[name] ?: fail("the relay printed no invite for $name: $codes")

    /**
     * Runs an administrator's command (`devices`, `revoke ID`) on this relay's data, beside the
     * running relay, as a district's administrator would; returns what it printed.
     */
    fun admin(vararg args: String): String {
        val p = ProcessBuilder(binary, "--data", dataDir.toString(), *args).redirectErrorStream(true).start()
        val out = p.inputStream.bufferedReader().readText()
        check(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) { "homevisit-relay ${args.first()} failed: $out" }
        return out
    }

    /** The ids of an educator's devices, from `devices` (grouped by person, ids indented below). */
    fun devicesOfEducator(educatorId: String): List<String> {
        val lines = admin("devices").lines()
        val start = lines.indexOfFirst { it.startsWith("educator $educatorId ") }
        check(start >= 0) { "no devices listed for the educator" }
        return lines.drop(start + 1).takeWhile { it.startsWith("  ") }.map { it.trim().split(Regex("\\s+")).first() }
    }

    /** What the relay logged (stderr), for a failure message. */
    fun log(): String = if (log.exists()) log.readText().takeLast(4000) else ""

    override fun close() {
        process.destroy() // SIGTERM: the relay finishes in-flight requests and exits
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly()
            process.waitFor(15, TimeUnit.SECONDS)
        }
    }

    companion object {
        private val LISTENING = Regex("""^homevisit relay listening on (http://\S+)$""")
        private val INVITE = Regex("""^\s+(\S.*?)\s+\((\w+)\s*\)\s+(\S+)\s*$""")
        private val NAMES = listOf("Elena Rivera", "Grace Okafor", "Dana Johnson")

        fun start(dataDir: Path): Relay {
            val binary = System.getProperty("homevisit.relay")
                ?: fail("system property homevisit.relay (the homevisit-relay binary) is not set: run bindings/kotlin/test")
            check(File(binary).canExecute()) { "no relay binary at $binary: cargo build -p homevisit-relay" }
            Files.createDirectories(dataDir)
            val log = dataDir.resolve("relay.log").toFile()
            val process = ProcessBuilder(
                binary, "--data", dataDir.toString(),
                "serve", "--demo", "--listen", "127.0.0.1:0", "--stop-after-secs", "300",
            ).redirectError(log).redirectInput(ProcessBuilder.Redirect.PIPE).start()
            process.outputStream.close()

            // Read stdout on a daemon thread (which keeps draining it), so a silent relay cannot
            // block the test past the bound below.
            val lines = LinkedBlockingQueue<String>()
            val eof = "\u0000eof"
            Thread({
                process.inputStream.bufferedReader().useLines { seq -> seq.forEach { lines.put(it) } }
                lines.put(eof)
            }, "relay-stdout").apply { isDaemon = true }.start()

            var url: String? = null
            val codes = mutableMapOf<String, String>()
            val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60)
            try {
                while (url == null || !codes.keys.containsAll(NAMES)) {
                    val left = deadline - System.nanoTime()
                    val line = lines.poll(maxOf(left, 0), TimeUnit.NANOSECONDS)
                    if (line == null || line == eof) {
                        error("the relay did not print its address and invite codes (got url=$url codes=$codes); log:\n" +
                            (if (log.exists()) log.readText().takeLast(4000) else ""))
                    }
                    LISTENING.find(line)?.let { url = it.groupValues[1] }
                    INVITE.find(line)?.let { codes[it.groupValues[1]] = it.groupValues[3] }
                }
            } catch (e: Throwable) {
                process.destroyForcibly()
                throw e
            }
            return Relay(binary, dataDir, process, url!!, codes, log)
        }
    }
}

