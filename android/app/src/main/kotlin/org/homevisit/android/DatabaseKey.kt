package org.homevisit.android

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.io.File
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.homevisit.core.generateDatabaseKey

/**
 * The store's database key: made once by the library, kept wrapped (AES-GCM) by a key that never
 * leaves the Android Keystore. Only the wrapped bytes are on disk, in noBackupFilesDir (and backups
 * are off anyway). If the Keystore key is gone (a restored phone), the store cannot be opened:
 * the app deletes it and enrolls again, as after a sign-out.
 */
object DatabaseKey {
    private const val ALIAS = "homevisit-db-key-wrap"
    private const val FILE = "db-key.wrapped"

    fun load(context: Context): String {
        val file = File(context.noBackupFilesDir, FILE)
        if (file.exists()) {
            val bytes = file.readBytes()
            val cipher = Cipher.getInstance("AES/GCM/NoPadding")
            cipher.init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(128, bytes, 0, 12))
            return String(cipher.doFinal(bytes, 12, bytes.size - 12), Charsets.US_ASCII)
        }
        val key = generateDatabaseKey()
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey())
        file.writeBytes(cipher.iv + cipher.doFinal(key.toByteArray(Charsets.US_ASCII)))
        return key
    }

    /** After a sign-out or a remote wipe: the next start makes a new key for a new store. */
    fun forget(context: Context) {
        File(context.noBackupFilesDir, FILE).delete()
        KeyStore.getInstance("AndroidKeyStore").apply { load(null) }.deleteEntry(ALIAS)
    }

    private fun wrappingKey(): SecretKey {
        val store = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
        (store.getKey(ALIAS, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
        generator.init(
            KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }
}
