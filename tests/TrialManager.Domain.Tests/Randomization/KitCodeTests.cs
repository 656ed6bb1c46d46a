using System.Text.RegularExpressions;
using TrialManager.Domain.Randomization;

namespace TrialManager.Domain.Tests.Randomization;

public partial class KitCodeTests
{
    private static Func<int, int> Source(int seed) => new SeededStream(RandomizationFixtures.Seed(seed, "kit-codes"), "codes").NextInt;

    [Fact]
    public void Alphabet_has_31_unambiguous_characters()
    {
        Assert.Equal(31, KitCode.Alphabet.Length);
        Assert.Equal(31, KitCode.Alphabet.Distinct().Count());
        Assert.DoesNotContain(KitCode.Alphabet, c => "0O1IL".Contains(c));
        Assert.All(KitCode.Alphabet, c => Assert.True(char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c)));
    }

    [Fact]
    public void New_codes_have_the_display_form_and_a_valid_check_character()
    {
        var next = Source(1);
        for (var i = 0; i < 1000; i++)
        {
            var code = KitCode.New(next);
            Assert.Matches(CodePattern(), code);
            Assert.True(KitCode.IsValid(code), code);
            Assert.Equal(code, KitCode.Normalize(code));
        }
    }

    [Fact]
    public void Codes_are_not_sequential_every_random_character_is_uniform()
    {
        var next = Source(2);
        var codes = Enumerable.Range(0, 31_000).Select(_ => KitCode.New(next).Replace("-", "", StringComparison.Ordinal)).ToList();
        var uniform = Enumerable.Repeat(1 / 31.0, 31).ToArray();

        for (var position = 0; position < 6; position++)
        {
            var counts = KitCode.Alphabet.Select(c => (long)codes.Count(code => code[position] == c)).ToArray();
            var p = RandomizationFixtures.ChiSquarePValue(RandomizationFixtures.ChiSquare(counts, uniform), 30);
            Assert.True(p > 0.01 / 6, $"position {position}: p = {p}");
        }

        // Consecutive codes share no more characters in place than chance (1/31 per place).
        var shared = codes.Zip(codes.Skip(1)).Average(pair => Enumerable.Range(0, 5).Count(i => pair.First[i] == pair.Second[i]));
        Assert.InRange(shared, (5 / 31.0) - 0.02, (5 / 31.0) + 0.02);
    }

    [Fact]
    public void Every_single_character_error_and_every_transposition_is_caught()
    {
        // Exhaustive over a sample: all 961 codes whose first two characters vary over the whole alphabet (the rest
        // fixed), plus 2,000 random codes; for each, every substitution of one character by any other alphabet
        // character, every adjacent transposition (including across the dash), and every other transposition.
        var next = Source(3);
        var sample = KitCode.Alphabet.SelectMany(a => KitCode.Alphabet.Select(b => Complete($"{a}{b}K7Q")))
            .Concat(Enumerable.Range(0, 2000).Select(_ => KitCode.New(next)))
            .ToList();
        long substitutions = 0, adjacent = 0, other = 0;
        foreach (var code in sample)
        {
            var chars = code.Replace("-", "", StringComparison.Ordinal).ToCharArray();
            for (var i = 0; i < 6; i++)
            {
                foreach (var c in KitCode.Alphabet.Where(c => c != chars[i]))
                {
                    var changed = (char[])chars.Clone();
                    changed[i] = c;
                    Assert.False(KitCode.IsValid(new string(changed)), $"{code}: {i} -> {c}");
                    substitutions++;
                }

                for (var j = i + 1; j < 6; j++)
                {
                    if (chars[i] == chars[j])
                    {
                        continue;
                    }

                    var swapped = (char[])chars.Clone();
                    (swapped[i], swapped[j]) = (swapped[j], swapped[i]);
                    Assert.False(KitCode.IsValid(new string(swapped)), $"{code}: swap {i} and {j}");
                    if (j == i + 1)
                    {
                        adjacent++;
                    }
                    else
                    {
                        other++;
                    }
                }
            }
        }

        Assert.Equal(sample.Count * 6 * 30, substitutions);
        Assert.True(adjacent > sample.Count * 4);
        Assert.True(other > 0);
    }

    [Fact]
    public void Characters_outside_the_alphabet_are_refused()
    {
        var code = KitCode.New(Source(4));

        foreach (var bad in new[] { '0', 'O', '1', 'I', 'L', '*', 'é' })
        {
            Assert.False(KitCode.IsValid(bad + code[1..]));
        }
    }

    [Theory]
    [InlineData("q2d-3mp", "Q2D-3MP")]
    [InlineData("  Q2D3MP ", "Q2D-3MP")]
    [InlineData("Q2D 3MP", "Q2D-3MP")]
    [InlineData("Q2-D3-MP", "Q2D-3MP")]
    public void Normalize_upper_cases_trims_and_restores_the_dash(string input, string expected)
    {
        Assert.Equal(expected, KitCode.Normalize(input));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Q2D-3M")]
    [InlineData("Q2D-3MPP")]
    [InlineData("Q2D-0MP")]
    [InlineData("Q2D_3MP")]
    public void Normalize_refuses_what_is_not_six_alphabet_characters(string? input)
    {
        Assert.Null(KitCode.Normalize(input));
        Assert.False(KitCode.IsValid(input));
    }

    [Fact]
    public void The_check_character_is_the_one_that_makes_the_weighted_sum_a_multiple_of_31()
    {
        var code = Complete("K7Q4M");
        var sum = code.Replace("-", "", StringComparison.Ordinal).Select((c, i) => (i + 1) * KitCode.Alphabet.IndexOf(c, StringComparison.Ordinal)).Sum();

        Assert.Equal(0, sum % 31);
        Assert.Equal(1, KitCode.Alphabet.Count(c => KitCode.IsValid("K7Q-4M" + c)));
        Assert.True(KitCode.IsValid(code.ToLowerInvariant()));
        Assert.Equal("K7Q-4MC", code);
        Assert.True(KitCode.IsValid("Q2D-3MW"));
    }

    [Fact]
    public void A_faulty_random_source_is_refused_and_distinct_batches_have_no_duplicates()
    {
        Assert.Throws<InvalidOperationException>(() => KitCode.New(_ => 31));
        var codes = KitCode.NewDistinct(5000, Source(5));
        Assert.Equal(5000, codes.Distinct().Count());
        Assert.Equal(28_629_151, KitCode.PossibleCodes);
    }

    private static string Complete(string payload) =>
        $"{payload[..3]}-{payload[3..]}{KitCode.CheckCharacter(payload)}";

    [GeneratedRegex("^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{3}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{3}$")]
    private static partial Regex CodePattern();
}
