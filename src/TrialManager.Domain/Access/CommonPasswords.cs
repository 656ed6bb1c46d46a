namespace TrialManager.Domain.Access;

/// <summary>
/// Passwords attackers try first. Built from the bases that dominate every public breach analysis (keyboard walks,
/// "password", names of seasons and months, sports, pets, the product's own words) combined with the suffixes people
/// bolt on to satisfy a length rule. Compared after lower-casing and trimming.
/// </summary>
public static class CommonPasswords
{
    private static readonly string[] Bases =
    [
        "password", "passw0rd", "p@ssw0rd", "p@ssword", "pa55word", "passwort", "motdepasse", "contraseña", "senha",
        "qwerty", "qwertyuiop", "qwertyui", "asdfgh", "asdfghjkl", "zxcvbn", "zxcvbnm", "azerty", "qazwsx", "1qaz2wsx",
        "1q2w3e4r", "1q2w3e4r5t", "q1w2e3r4", "qweasd", "qweasdzxc", "abc123", "abcdef", "abcd1234", "a1b2c3",
        "123456", "1234567", "12345678", "123456789", "1234567890", "0987654321", "123123", "123321", "654321",
        "111111", "000000", "121212", "112233", "159753", "147258369", "789456123", "666666", "888888", "7777777",
        "iloveyou", "letmein", "welcome", "admin", "administrator", "root", "login", "master", "secret", "changeme",
        "default", "guest", "test", "tester", "testing", "user", "access", "trustno1", "whatever", "nothing",
        "monkey", "dragon", "shadow", "sunshine", "princess", "football", "baseball", "soccer", "hockey", "basketball",
        "superman", "batman", "spiderman", "starwars", "pokemon", "naruto", "michael", "jennifer", "jordan", "charlie",
        "daniel", "thomas", "andrew", "jessica", "ashley", "hannah", "robert", "matthew", "joshua", "summer", "winter",
        "spring", "autumn", "january", "february", "march", "april", "june", "july", "august", "september", "october",
        "november", "december", "monday", "friday", "computer", "internet", "freedom", "flower", "hello", "hellohello",
        "loveme", "lovely", "babygirl", "cookie", "chocolate", "cheese", "banana", "orange", "purple", "yellow",
        "killer", "hunter", "ranger", "buster", "tigger", "ginger", "pepper", "maggie", "bailey", "snoopy", "mustang",
        "harley", "ferrari", "porsche", "mercedes", "corvette", "liverpool", "arsenal", "chelsea", "barcelona",
        "google", "facebook", "microsoft", "apple", "samsung", "office", "company", "business", "manager",
        "trustme", "letmein!", "welcome!", "secure", "security", "private", "qwerty!", "zaq12wsx", "mypassword",
        "newpassword", "oldpassword", "temppassword", "temp", "temporary", "passpass", "password!", "firstlast",
        "trial", "trialmanager", "clinical", "clinicaltrial", "research", "hospital", "doctor", "nurse", "medicine",
        "placebo", "psilocybin", "microdose", "microdosing", "lsd", "study", "investigator", "coordinator",
        "safetyofficer", "datamanager", "sponsor", "dsmb", "unblind", "randomize", "randomization",
    ];

    private static readonly string[] Suffixes =
    [
        "", "1", "12", "123", "1234", "12345", "123456", "1234567", "12345678", "123456789", "!", "!!", "1!", "123!",
        "@123", "#1", "01", "007", "69", "99", "00", "11", "2020", "2021", "2022", "2023", "2024", "2025", "2026",
        "2027", "!2025", "!2026", "@2025", "@2026", "123123", "321", "abc", "qwerty", "pass", "password",
    ];

    private static readonly HashSet<string> Known = Build();

    public static int Count => Known.Count;

    public static bool Contains(string candidate) => Known.Contains(candidate.Trim().ToLowerInvariant());

    private static HashSet<string> Build()
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var word in Bases)
        {
            foreach (var suffix in Suffixes)
            {
                set.Add(word + suffix);
                set.Add(suffix + word);
                set.Add(word + word + suffix);
            }
        }

        return set;
    }
}
