package org.homevisit.core

import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.BeforeEach

// Shared by the Kotlin suites (bindings/kotlin and android/presentation: each pom compiles this
// directory with its tests).

/**
 * A real `homevisit-relay` for one test class: `serve --demo` on a free loopback port, with its
 * data in [dataDir]. It prints its address, then one single-use invite code each for Elena Rivera and
 * Grace Okafor (educators who share visits) and Dana Johnson (their coordinator). It stops by itself
 * after 300 s if a test run dies without closing it.
 */
class Relay private constructor(
    private val process: Process,
    val url: String,
    private val codes: Map<String, String>,
    private val log: File,
    private val binary: String,
    private val dataDir: Path,
) : AutoCloseable {
    /** The invite code the relay printed for [name] ("Elena Rivera", "Grace Okafor", "Dana Johnson"). */
    fun invite(name: String): String = codes[name] ?: fail("the relay printed no invite for $name: $codes")

    /**
     * Runs an administrator's command (`devices`, `revoke ID`, ...) on this relay's data, as a
     * district's administrator would beside the running relay; returns what it printed. Fails the
     * test if the command fails.
     */
    fun admin(vararg args: String): String {
        val process = ProcessBuilder(binary, "--data", dataDir.toString(), *args)
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start()
        process.outputStream.close()
        // Drain stderr on its own thread, so neither pipe can fill and block the command.
        val err = StringBuilder()
        val errReader = Thread { err.append(process.errorStream.bufferedReader().readText()) }.apply { isDaemon = true; start() }
        val out = process.inputStream.bufferedReader().readText()
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly()
            fail<Unit>("homevisit-relay ${args.joinToString(" ")} did not finish within 60 s")
        }
        errReader.join(5_000)
        if (process.exitValue() != 0) fail<Unit>("homevisit-relay ${args.joinToString(" ")} failed (${process.exitValue()}): $err")
        return out
    }

    /** The ids of an educator's devices, from `homevisit-relay devices` (grouped by person). */
    fun devicesOfEducator(educatorId: String): List<String> {
        val lines = admin("devices").lines()
        val start = lines.indexOfFirst { it.startsWith("educator $educatorId ") }
        if (start < 0) fail<Unit>("no devices listed for educator $educatorId:\n${lines.joinToString("\n")}")
        return lines.drop(start + 1).takeWhile { it.startsWith("  ") }.map { it.trim().split(Regex("\\s+"))[0] }
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
            return Relay(process, url, codes, log, binary, dataDir)
        }
    }
}

/** A fresh temporary directory; [deleteTree] removes it in teardown. */
fun tempDir(prefix: String): Path = Files.createTempDirectory("homevisit-kotlin-$prefix-")

fun Path.deleteTree() {
    toFile().deleteRecursively()
}

/**
 * A demo relay of its own for each test (invite codes are single-use, and a revoked device stays
 * revoked), in a fresh directory removed afterwards.
 */
abstract class RelayPerTest(private val prefix: String) {
    protected lateinit var tmp: Path
    protected lateinit var relay: Relay

    @BeforeEach
    fun startRelay() {
        tmp = tempDir(prefix)
        relay = Relay.start(tmp.resolve("relay"))
    }

    @AfterEach
    fun stopRelay() {
        if (::relay.isInitialized) relay.close()
        tmp.deleteTree()
    }
}
