using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using TrialManager.Web.Data;

namespace TrialManager.Web.Account;

/// <summary>
/// Authenticator-app codes (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits, one step of clock drift either way), each
/// accepted once only (OWASP ASVS 5, V6.5): the last accepted time step is remembered per user, and a code from that
/// step or an earlier one is refused, so a code seen over someone's shoulder cannot be replayed. Uses the app's clock.
/// </summary>
public sealed class OneTimeAuthenticatorTokenProvider(TimeProvider clock) : IUserTwoFactorTokenProvider<ApplicationUser>
{
    public const string ProviderName = "OneTimeAuthenticator";
    private const string StoreProvider = "[TrialManager]";
    private const string LastStepName = "LastAuthenticatorStep";

    public async Task<bool> CanGenerateTwoFactorTokenAsync(UserManager<ApplicationUser> manager, ApplicationUser user) =>
        !string.IsNullOrWhiteSpace(await manager.GetAuthenticatorKeyAsync(user));

    /// <summary>Codes come from the person's authenticator app, never from the server.</summary>
    public Task<string> GenerateAsync(string purpose, UserManager<ApplicationUser> manager, ApplicationUser user) => Task.FromResult("");

    public async Task<bool> ValidateAsync(string purpose, string token, UserManager<ApplicationUser> manager, ApplicationUser user)
    {
        var key = await manager.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrWhiteSpace(key) || token.Length != 6 || !token.All(char.IsAsciiDigit))
        {
            return false;
        }

        var secret = Base32Decode(key);
        var now = clock.GetUtcNow().ToUnixTimeSeconds() / 30;
        var stored = await manager.GetAuthenticationTokenAsync(user, StoreProvider, LastStepName);
        var lastUsed = long.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : long.MinValue;
        for (var candidate = now - 1; candidate <= now + 1; candidate++)
        {
            if (candidate > lastUsed && CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.ASCII.GetBytes(Code(secret, candidate)), System.Text.Encoding.ASCII.GetBytes(token)))
            {
                // Two sign-ins racing with one code: the user row's concurrency stamp lets only one of them record the step.
                return (await manager.SetAuthenticationTokenAsync(user, StoreProvider, LastStepName, candidate.ToString(CultureInfo.InvariantCulture))).Succeeded;
            }
        }

        return false;
    }

    /// <summary>The code an authenticator app shows for <paramref name="base32Key"/> at <paramref name="at"/> (the benchmark's users sign in with it).</summary>
    public static string CodeAt(string base32Key, DateTimeOffset at) => Code(Base32Decode(base32Key), at.ToUnixTimeSeconds() / 30);

    private static string Code(byte[] secret, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        // RFC 6238 as authenticator apps implement it: HMAC-SHA1 over the step counter.
#pragma warning disable CA5350
        var hash = HMACSHA1.HashData(secret, counter);
#pragma warning restore CA5350
        var offset = hash[^1] & 0x0F;
        var binary = ((hash[offset] & 0x7F) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (binary % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
    }

    private static byte[] Base32Decode(string key)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var output = new List<byte>(key.Length * 5 / 8);
        int buffer = 0, bits = 0;
        foreach (var c in key.ToUpperInvariant())
        {
            var value = alphabet.IndexOf(c, StringComparison.Ordinal);
            if (value < 0)
            {
                continue;
            }

            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                output.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        return [.. output];
    }
}
