// The database key in the iOS Keychain: readable only while the phone is unlocked, and only on
// this device (never in a backup or on another phone restored from one). Apple platforms only.

#if canImport(Security)
import AppModel
import Foundation
import Security

public struct KeychainKeyStore: DatabaseKeyStore {
    private let service: String
    private let account = "database-key"

    public init(service: String = "org.homevisit.store") { self.service = service }

    private var query: [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
        ]
    }

    public func load() throws -> String? {
        var request = query
        request[kSecReturnData as String] = true
        request[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(request as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = item as? Data else { throw KeychainError(status: status) }
        return String(decoding: data, as: UTF8.self)
    }

    public func save(_ key: String) throws {
        try delete()
        var item = query
        item[kSecValueData as String] = Data(key.utf8)
        item[kSecAttrAccessible as String] = kSecAttrAccessibleWhenUnlockedThisDeviceOnly
        item[kSecAttrSynchronizable as String] = false  // not in iCloud Keychain
        let status = SecItemAdd(item as CFDictionary, nil)
        guard status == errSecSuccess else { throw KeychainError(status: status) }
    }

    public func delete() throws {
        let status = SecItemDelete(query as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else { throw KeychainError(status: status) }
    }
}

/// A Keychain call failed (the status code only: never the key).
public struct KeychainError: Error, Equatable {
    public let status: OSStatus
}
#endif
