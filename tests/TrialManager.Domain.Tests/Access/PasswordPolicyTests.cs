using TrialManager.Domain.Access;

namespace TrialManager.Domain.Tests.Access;

public class PasswordPolicyTests
{
    [Theory]
    [InlineData("correct horse battery")]
    [InlineData("Mushrooms grow in autumn rain")]
    [InlineData("zq8!Lm2#Rt7@Wp")]
    [InlineData("каждый охотник желает")] // non-Latin letters are fine
    public void Accepts_long_uncommon_passwords(string password)
    {
        Assert.Empty(PasswordPolicy.Check(password, "coord@site.example"));
    }

    [Theory]
    [InlineData("password1234")]
    [InlineData("Password1234")]
    [InlineData("qwertyuiop123")]
    [InlineData("Welcome12345")]
    [InlineData("trialmanager2026")]
    [InlineData("123456789012")]
    public void Refuses_passwords_on_the_common_list(string password)
    {
        var problems = PasswordPolicy.Check(password);
        Assert.Contains(problems, p => p.Contains("attackers try first", StringComparison.Ordinal) || p.Contains("sequence", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("aaaaaaaaaaaaaa")]
    [InlineData("abcdefghijklmn")]
    [InlineData("zyxwvutsrqpon")]
    [InlineData("xyzxyzxyzxyzxyz")]
    public void Refuses_repetitive_passwords(string password)
    {
        Assert.Contains(PasswordPolicy.Check(password), p => p.Contains("repeated", StringComparison.Ordinal));
    }

    [Fact]
    public void Requires_minimum_length_counted_in_code_points()
    {
        Assert.Contains(PasswordPolicy.Check("short pass"), p => p.Contains("at least 12", StringComparison.Ordinal));
        // Eleven emoji are 22 UTF-16 units but only 11 characters.
        var elevenEmoji = string.Concat(Enumerable.Repeat("\U0001F344", 11));
        Assert.Contains(PasswordPolicy.Check(elevenEmoji), p => p.Contains("at least 12", StringComparison.Ordinal));
    }

    [Fact]
    public void Refuses_overlong_and_empty_passwords()
    {
        Assert.Contains(PasswordPolicy.Check(new string('x', 10_000)), p => p.Contains("at most", StringComparison.Ordinal));
        Assert.Equal(["Enter a password."], PasswordPolicy.Check(""));
        Assert.Equal(["Enter a password."], PasswordPolicy.Check(null));
    }

    [Fact]
    public void Refuses_the_users_own_name_inside_the_password()
    {
        var problems = PasswordPolicy.Check("my-name-is-jdoe-ok!", "jdoe@example.org");
        Assert.Contains(problems, p => p.Contains("user name", StringComparison.Ordinal));
    }

    [Fact]
    public void Common_list_is_substantial()
    {
        Assert.True(CommonPasswords.Count > 20_000, $"only {CommonPasswords.Count} entries");
    }
}
