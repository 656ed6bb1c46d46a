using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using TrialManager.Web.Data;

namespace TrialManager.Web.Sealing;

/// <summary>
/// Seals and opens the secrets of a trial (arms of list slots and kits, the list's seed and salt) with AES-256-GCM
/// under the trial's data key, itself wrapped by the master key. Every sealed value has a fresh random nonce, so equal
/// arms give unrelated ciphertexts, and is bound to its row by associated data ("purpose:row id"), so moving a
/// ciphertext to another row, or changing one byte of it, fails to open (tamper detection).
/// Layout of a sealed value: nonce (12) || ciphertext || tag (16).
/// </summary>
public sealed class Sealer(MasterKey masterKey, IDbContextFactory<TrialDbContext> dbFactory)
{
    public const int NonceSize = 12;
    public const int TagSize = 16;

    /// <summary>Arm codes are padded to this many bytes before sealing, so ciphertext length says nothing about the arm.</summary>
    public const int ArmPlaintextSize = 48;

    private readonly ConcurrentDictionary<Guid, byte[]> _dataKeys = new();

    /// <summary>Creates and stores the trial's data key (wrapped) if it has none. Safe to call concurrently.</summary>
    public async Task EnsureTrialKeyAsync(Guid trialId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.TrialKeys.AnyAsync(k => k.TrialId == trialId, cancellationToken))
        {
            return;
        }

        var dataKey = RandomNumberGenerator.GetBytes(32);
        db.TrialKeys.Add(new TrialKey
        {
            TrialId = trialId,
            MasterKeyId = masterKey.Id,
            WrappedKey = Encrypt(masterKey.Bytes, dataKey, WrapContext(trialId)),
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another instance created it first; theirs is the key.
        }
    }

    public async Task<byte[]> SealArmAsync(Guid trialId, string purpose, Guid rowId, string armCode, CancellationToken cancellationToken = default)
    {
        var plain = new byte[ArmPlaintextSize];
        var written = Encoding.UTF8.GetBytes(armCode, plain);
        if (written == 0 || written >= ArmPlaintextSize)
        {
            throw new ArgumentException("Arm codes are 1 to 47 bytes.", nameof(armCode));
        }

        return await SealAsync(trialId, purpose, rowId, plain, cancellationToken);
    }

    public async Task<string> OpenArmAsync(Guid trialId, string purpose, Guid rowId, byte[] sealedValue, CancellationToken cancellationToken = default)
    {
        return ArmText(await OpenAsync(trialId, purpose, rowId, sealedValue, cancellationToken));
    }

    /// <summary>Opens many sealed arms of one purpose with one cipher context (a site's kit stock at each randomization).</summary>
    public async Task<Dictionary<Guid, string>> OpenArmsAsync(Guid trialId, string purpose, IEnumerable<(Guid RowId, byte[] SealedValue)> rows, CancellationToken cancellationToken = default)
    {
        var key = await DataKeyAsync(trialId, cancellationToken);
        using var aes = new AesGcm(key, TagSize);
        return rows.ToDictionary(row => row.RowId, row => ArmText(DecryptWith(aes, row.SealedValue, RowContext(purpose, row.RowId), $"{purpose} {row.RowId}")));
    }

    public async Task<byte[]> SealAsync(Guid trialId, string purpose, Guid rowId, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken = default)
    {
        var key = await DataKeyAsync(trialId, cancellationToken);
        return Encrypt(key, plaintext.Span, RowContext(purpose, rowId));
    }

    public async Task<byte[]> OpenAsync(Guid trialId, string purpose, Guid rowId, byte[] sealedValue, CancellationToken cancellationToken = default)
    {
        var key = await DataKeyAsync(trialId, cancellationToken);
        return Decrypt(key, sealedValue, RowContext(purpose, rowId), $"{purpose} {rowId}");
    }

    /// <summary>
    /// Seals installation-level secrets that exist before any trial key (the stored protocol texts, which name the arms
    /// and block sizes) under a subkey derived from the master key.
    /// </summary>
    public byte[] SealWithInstallationKey(string purpose, Guid rowId, ReadOnlySpan<byte> plaintext) =>
        Encrypt(InstallationKey(purpose), plaintext, RowContext(purpose, rowId));

    public byte[] OpenWithInstallationKey(string purpose, Guid rowId, byte[] sealedValue) =>
        Decrypt(InstallationKey(purpose), sealedValue, RowContext(purpose, rowId), $"{purpose} {rowId}");

    private byte[] InstallationKey(string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey.Bytes.ToArray(), 32, info: Encoding.UTF8.GetBytes($"trialmanager:{purpose}"));

    private async Task<byte[]> DataKeyAsync(Guid trialId, CancellationToken cancellationToken)
    {
        if (_dataKeys.TryGetValue(trialId, out var cached))
        {
            return cached;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stored = await db.TrialKeys.AsNoTracking().FirstOrDefaultAsync(k => k.TrialId == trialId, cancellationToken)
            ?? throw new SealBrokenException($"Trial {trialId} has no data key.");
        if (stored.MasterKeyId != masterKey.Id)
        {
            throw new SealBrokenException($"Trial {trialId}'s data key was wrapped by master key {stored.MasterKeyId}, not the configured {masterKey.Id}.");
        }

        var key = Decrypt(masterKey.Bytes, stored.WrappedKey, WrapContext(trialId), $"data key of trial {trialId}");
        _dataKeys[trialId] = key;
        return key;
    }

    private static byte[] WrapContext(Guid trialId) => Encoding.UTF8.GetBytes($"trial-data-key:{trialId:N}");

    private static byte[] RowContext(string purpose, Guid rowId) => Encoding.UTF8.GetBytes($"{purpose}:{rowId:N}");

    private static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associated)
    {
        var output = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize, plaintext.Length), output.AsSpan(NonceSize + plaintext.Length), associated);
        return output;
    }

    private static string ArmText(byte[] plain)
    {
        var end = Array.IndexOf(plain, (byte)0);
        return Encoding.UTF8.GetString(plain, 0, end < 0 ? plain.Length : end);
    }

    private static byte[] Decrypt(ReadOnlySpan<byte> key, byte[] sealedValue, ReadOnlySpan<byte> associated, string what)
    {
        using var aes = new AesGcm(key, TagSize);
        return DecryptWith(aes, sealedValue, associated, what);
    }

    private static byte[] DecryptWith(AesGcm aes, byte[] sealedValue, ReadOnlySpan<byte> associated, string what)
    {
        if (sealedValue.Length < NonceSize + TagSize)
        {
            throw new SealBrokenException($"The sealed {what} is too short.");
        }

        var length = sealedValue.Length - NonceSize - TagSize;
        var plain = new byte[length];
        try
        {
            aes.Decrypt(sealedValue.AsSpan(0, NonceSize), sealedValue.AsSpan(NonceSize, length), sealedValue.AsSpan(NonceSize + length), plain, associated);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SealBrokenException($"The sealed {what} failed its integrity check: it was altered, moved from another row, or sealed under another key.");
        }

        return plain;
    }
}

/// <summary>A sealed value that cannot be opened: tampering, a wrong master key, or a missing key. Never carries the value.</summary>
public sealed class SealBrokenException(string message) : Exception(message);
