namespace TrialManager.Domain.Randomization;

/// <summary>
/// Blinded kit codes such as <c>K7Q-4MC</c>: five random characters and one check character, shown as
/// <c>XXX-XXX</c>. Codes are random, never sequential, so a code says nothing about its arm or its place in the
/// kit list.
/// <para>
/// Alphabet: the 31 characters <c>23456789ABCDEFGHJKMNPQRSTUVWXYZ</c> (digits and capitals without 0, O, 1, I and
/// L, which are easily confused). Each character has its index in the alphabet as value v.
/// </para>
/// <para>
/// Check character: the one value v6 for which <c>1·v1 + 2·v2 + 3·v3 + 4·v4 + 5·v5 + 6·v6 ≡ 0 (mod 31)</c>. Because
/// 31 is prime, the weights 1–6 are distinct and non-zero modulo 31, and two values differ by less than 31, a
/// change of one character changes the sum by <c>w·(v − v')</c> and a swap of any two characters (adjacent or not)
/// by <c>(wi − wj)·(vi − vj)</c>, neither of which is a multiple of 31: every single-character error and every
/// transposition is detected. (Luhn mod N cannot promise this: it misses swaps of the first and last alphabet
/// characters, and with an odd N it also misses some single errors.)
/// </para>
/// </summary>
public static class KitCode
{
    public const string Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

    /// <summary>Random characters per code, before the check character.</summary>
    public const int PayloadLength = 5;

    /// <summary>Length of the displayed form <c>XXX-XXX</c>.</summary>
    public const int DisplayLength = 7;

    private const int Modulus = 31;

    /// <summary>The inverse of the check position's weight 6, modulo 31 (6 × 26 = 156 = 5 × 31 + 1).</summary>
    private const int InverseOfCheckWeight = 26;

    /// <summary>How many different codes exist (31^5).</summary>
    public static long PossibleCodes => (long)Math.Pow(Modulus, PayloadLength);

    /// <summary>
    /// A new random code. <paramref name="uniformBelow"/>(n) must return a uniform integer in [0, n), e.g.
    /// <c>RandomNumberGenerator.GetInt32</c>. Codes can collide (31^5 ≈ 28.6 million are possible), so the caller
    /// keeps them unique, e.g. with a unique index and a retry, or with <see cref="NewDistinct"/>.
    /// </summary>
    public static string New(Func<int, int> uniformBelow)
    {
        ArgumentNullException.ThrowIfNull(uniformBelow);
        Span<char> payload = stackalloc char[PayloadLength];
        for (var i = 0; i < PayloadLength; i++)
        {
            var value = uniformBelow(Modulus);
            if (value is < 0 or >= Modulus)
            {
                throw new InvalidOperationException($"The random source returned {value} when asked for a number below {Modulus}.");
            }

            payload[i] = Alphabet[value];
        }

        return Format(payload, CheckCharacter(payload));
    }

    /// <summary><paramref name="count"/> distinct new codes.</summary>
    public static IReadOnlyList<string> NewDistinct(int count, Func<int, int> uniformBelow)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 1_000_000);
        var codes = new List<string>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (codes.Count < count)
        {
            var code = New(uniformBelow);
            if (seen.Add(code))
            {
                codes.Add(code);
            }
        }

        return codes.AsReadOnly();
    }

    /// <summary>
    /// The displayed form <c>XXX-XXX</c> of what a person typed: surrounding white space trimmed, letters
    /// upper-cased, dashes and spaces dropped, the dash put back. Null when what is left is not six alphabet
    /// characters. Does not check the check character (see <see cref="IsValid"/>) and never guesses at typos.
    /// </summary>
    public static string? Normalize(string? input)
    {
        if (input is null)
        {
            return null;
        }

        Span<char> chars = stackalloc char[PayloadLength + 1];
        var count = 0;
        foreach (var c in input.AsSpan().Trim())
        {
            if (c is '-' or ' ')
            {
                continue;
            }

            var upper = char.ToUpperInvariant(c);
            if (count == chars.Length || Alphabet.IndexOf(upper, StringComparison.Ordinal) < 0)
            {
                return null;
            }

            chars[count++] = upper;
        }

        return count == chars.Length ? Format(chars[..PayloadLength], chars[PayloadLength]) : null;
    }

    /// <summary>True if the input normalizes to a code whose check character is right.</summary>
    public static bool IsValid(string? input)
    {
        var code = Normalize(input);
        if (code is null)
        {
            return false;
        }

        var sum = 0;
        var weight = 1;
        foreach (var c in code)
        {
            if (c != '-')
            {
                sum += weight++ * Alphabet.IndexOf(c, StringComparison.Ordinal);
            }
        }

        return sum % Modulus == 0;
    }

    /// <summary>The check character for five alphabet characters.</summary>
    public static char CheckCharacter(ReadOnlySpan<char> payload)
    {
        if (payload.Length != PayloadLength)
        {
            throw new ArgumentException($"A kit code has {PayloadLength} characters before its check character.", nameof(payload));
        }

        var sum = 0;
        for (var i = 0; i < PayloadLength; i++)
        {
            var value = Alphabet.IndexOf(payload[i], StringComparison.Ordinal);
            if (value < 0)
            {
                throw new ArgumentException($"'{payload[i]}' is not in the kit code alphabet.", nameof(payload));
            }

            sum += (i + 1) * value;
        }

        // 6·v6 ≡ −sum (mod 31), so v6 = (−sum)·6⁻¹ mod 31.
        var check = (Modulus - (sum % Modulus)) % Modulus * InverseOfCheckWeight % Modulus;
        return Alphabet[check];
    }

    private static string Format(ReadOnlySpan<char> payload, char check) =>
        string.Concat(payload[..3], "-", payload[3..], new ReadOnlySpan<char>(in check));
}
