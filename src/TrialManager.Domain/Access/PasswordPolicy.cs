namespace TrialManager.Domain.Access;

/// <summary>
/// Password rules after OWASP ASVS 5.0 (V6.2): length over composition, no character-class rules, a generous
/// maximum, and a check against passwords that attackers try first. Returns every problem, in plain words.
/// </summary>
public static class PasswordPolicy
{
    /// <summary>ASVS asks for at least 8 and recommends 15; 12 is the floor here because these accounts guard health data.</summary>
    public const int MinimumLength = 12;

    /// <summary>ASVS requires at least 64 to be allowed; longer input is refused to bound hashing cost.</summary>
    public const int MaximumLength = 128;

    public static IReadOnlyList<string> Check(string? password, params string?[] personalWords)
    {
        var problems = new List<string>();
        if (string.IsNullOrEmpty(password))
        {
            problems.Add("Enter a password.");
            return problems;
        }

        // Length is counted in Unicode code points (ASVS V6.2.1 note), so an emoji counts once.
        var length = password.EnumerateRunes().Count();
        if (length < MinimumLength)
        {
            problems.Add($"Use at least {MinimumLength} characters; a short phrase of several words works well.");
        }

        if (length > MaximumLength)
        {
            problems.Add($"Use at most {MaximumLength} characters.");
            return problems;
        }

        var folded = Fold(password);
        if (CommonPasswords.Contains(folded))
        {
            problems.Add("This password is on the list of passwords attackers try first; choose another.");
        }
        else if (IsRepetitive(folded))
        {
            problems.Add("This password is a single repeated character or a simple sequence; choose another.");
        }

        foreach (var word in personalWords)
        {
            if (string.IsNullOrWhiteSpace(word))
            {
                continue;
            }

            var localPart = Fold(word.Split('@')[0]);
            if (localPart.Length >= 4 && folded.Contains(localPart, StringComparison.Ordinal))
            {
                problems.Add("Do not use your user name or e-mail address in your password.");
                break;
            }
        }

        return problems;
    }

    private static string Fold(string value) => value.Trim().ToLowerInvariant();

    private static bool IsRepetitive(string value)
    {
        if (value.Length < 2)
        {
            return false;
        }

        var allSame = true;
        var ascending = true;
        var descending = true;
        for (var i = 1; i < value.Length; i++)
        {
            allSame &= value[i] == value[0];
            ascending &= value[i] == value[i - 1] + 1;
            descending &= value[i] == value[i - 1] - 1;
        }

        if (allSame || ascending || descending)
        {
            return true;
        }

        // A short chunk repeated ("abcabcabcabc", "passpasspass") adds no strength over the chunk itself.
        for (var chunk = 1; chunk <= value.Length / 2; chunk++)
        {
            if (value.Length % chunk != 0)
            {
                continue;
            }

            var piece = value[..chunk];
            var repeated = true;
            for (var at = chunk; at < value.Length && repeated; at += chunk)
            {
                repeated = string.CompareOrdinal(value, at, piece, 0, chunk) == 0;
            }

            if (repeated && chunk <= 4)
            {
                return true;
            }
        }

        return false;
    }
}
