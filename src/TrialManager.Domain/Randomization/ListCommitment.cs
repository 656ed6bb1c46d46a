using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace TrialManager.Domain.Randomization;

/// <summary>
/// A SHA-256 commitment to a randomization list: <c>SHA-256(salt || canonical bytes)</c>, with a 32-byte random
/// salt that is sealed with the seed. Publishing the commitment binds the trial to the list without revealing it
/// (the salt stops anyone from testing candidate lists against it); anyone holding the salt and the list can
/// check it later.
/// <para>
/// Canonical bytes (<see cref="Serialize"/>): UTF-8 text, <c>\n</c> line ends, no byte-order mark. First the
/// header line <c>trialmanager-randomization-list/v1</c>, then one line per slot,
/// <c>stratumKey TAB number TAB armCode</c>, with the stratum's canonical key, the slot number in invariant
/// decimal digits, and the arm code. Strata are ordered by their canonical key (ordinal comparison of the
/// strings), slots by number, so the bytes do not depend on the order a list was assembled in. Block numbers and
/// sizes are not part of it: the commitment is to which arm each slot gives.
/// </para>
/// </summary>
public static class ListCommitment
{
    public const int SaltLength = 32;

    public const string Header = "trialmanager-randomization-list/v1";

    public static byte[] Compute(RandomizationList list, ReadOnlySpan<byte> salt)
    {
        if (salt.Length != SaltLength)
        {
            throw new ArgumentException($"The salt is {SaltLength} bytes; this one has {salt.Length}.", nameof(salt));
        }

        var content = Serialize(list);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(salt);
        hash.AppendData(content);
        return hash.GetHashAndReset();
    }

    /// <summary>True if the list and salt give <paramref name="expected"/>; compared in constant time.</summary>
    public static bool Verify(RandomizationList list, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> expected)
    {
        var actual = Compute(list, salt);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>The canonical serialization described on <see cref="ListCommitment"/>.</summary>
    public static byte[] Serialize(RandomizationList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var text = new StringBuilder(Header).Append('\n');
        var strata = list.Strata.OrderBy(s => s.Stratum.Canonical, StringComparer.Ordinal).ToList();
        for (var i = 1; i < strata.Count; i++)
        {
            if (strata[i].Stratum.Equals(strata[i - 1].Stratum))
            {
                throw new ArgumentException($"Stratum {strata[i].Stratum} appears twice in the list.", nameof(list));
            }
        }

        foreach (var stratum in strata)
        {
            var key = stratum.Stratum.Canonical;
            var previous = 0;
            foreach (var slot in stratum.Slots.OrderBy(s => s.Number))
            {
                if (slot.Number <= previous)
                {
                    throw new ArgumentException($"Stratum {key} has slot number {slot.Number} more than once or below 1.", nameof(list));
                }

                StratumKey.RequireCode(slot.ArmCode, nameof(list));
                text.Append(key).Append('\t')
                    .Append(slot.Number.ToString(CultureInfo.InvariantCulture)).Append('\t')
                    .Append(slot.ArmCode).Append('\n');
                previous = slot.Number;
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
