using System.Security.Cryptography;

namespace TrialManager.Web.Account;

public static class OneTimePassword
{
    /// <summary>Four groups of five characters from an alphabet without look-alikes: about 99 bits, easy to read out and type.</summary>
    public static string New()
    {
        const string alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
        return string.Join('-', Enumerable.Range(0, 4).Select(_ => new string(RandomNumberGenerator.GetItems<char>(alphabet, 5))));
    }
}
