using TrialManager.Domain.Blinding;
using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Tests.Blinding;

public class BlindingTableTests
{
    [Fact]
    public void Answers_are_counted_by_guess_and_true_arm()
    {
        var table = BlindingTable.FromAnswers(
            ["ACT", "PBO"],
            [("ACT", "ACT"), ("ACT", "ACT"), ("ACT", "PBO"), ("ACT", null), ("PBO", "ACT"), ("PBO", null), ("PBO", null)]);

        Assert.Equal(2, table.Count("ACT", "ACT"));
        Assert.Equal(1, table.Count("PBO", "ACT"));
        Assert.Equal(1, table.Count(null, "ACT"));
        Assert.Equal(1, table.Count("ACT", "PBO"));
        Assert.Equal(0, table.Count("PBO", "PBO"));
        Assert.Equal(2, table.Count(null, "PBO"));

        Assert.Equal(4, table.N("ACT"));
        Assert.Equal(2, table.Correct("ACT"));
        Assert.Equal(1, table.Incorrect("ACT"));
        Assert.Equal(1, table.DontKnow("ACT"));
        Assert.Equal(3, table.Guessed("ACT"));
        Assert.Equal(3, table.N("PBO"));
        Assert.Equal(0, table.Correct("PBO"));
        Assert.Equal(1, table.Incorrect("PBO"));
        Assert.Equal(2, table.DontKnow("PBO"));

        Assert.Equal(7, table.Total);
        Assert.Equal(4, table.TotalGuessed);
        Assert.Equal(2, table.TotalCorrect);
        Assert.Equal(2, table.TotalIncorrect);
        Assert.Equal(3, table.TotalDontKnow);
    }

    [Fact]
    public void With_three_arms_a_guess_of_any_other_arm_is_incorrect()
    {
        var table = BlindingTable.FromCounts(
            ["A", "B", "C"],
            [
                [5, 1, 0],
                [2, 1, 0],
                [1, 4, 6],
                [2, 4, 0],
            ]);

        Assert.Equal((10, 5, 3, 2), (table.N("A"), table.Correct("A"), table.Incorrect("A"), table.DontKnow("A")));
        Assert.Equal((10, 1, 5, 4), (table.N("B"), table.Correct("B"), table.Incorrect("B"), table.DontKnow("B")));
        Assert.Equal((6, 6, 0, 0), (table.N("C"), table.Correct("C"), table.Incorrect("C"), table.DontKnow("C")));
    }

    [Fact]
    public void Counts_and_answers_build_the_same_table()
    {
        var fromCounts = BlindingTable.FromCounts(["A", "B"], [[2, 1], [1, 0], [1, 2]]);
        var fromAnswers = BlindingTable.FromAnswers(
            ["A", "B"],
            [("A", "A"), ("A", "A"), ("B", "A"), ("A", "B"), ("A", null), ("B", null), ("B", null)]);

        foreach (var guess in new string?[] { "A", "B", null })
        {
            foreach (var arm in new[] { "A", "B" })
            {
                Assert.Equal(fromCounts.Count(guess, arm), fromAnswers.Count(guess, arm));
            }
        }
    }

    [Fact]
    public void Bad_input_is_refused()
    {
        Assert.Throws<ArgumentException>(() => BlindingTable.FromAnswers(["A"], []));
        Assert.Throws<ArgumentException>(() => BlindingTable.FromAnswers(["A", "A"], []));
        Assert.Throws<ArgumentException>(() => BlindingTable.FromAnswers(["A", " "], []));
        Assert.Throws<ArgumentException>(() => BlindingTable.FromAnswers(["A", "B"], [("C", "A")]));
        Assert.Throws<ArgumentException>(() => BlindingTable.FromAnswers(["A", "B"], [("A", "C")]));
        Assert.Throws<ArgumentException>(() => BlindingTable.FromCounts(["A", "B"], [[1, 2], [3, 4]]));
        Assert.Throws<ArgumentException>(() => BlindingTable.FromCounts(["A", "B"], [[1, 2], [3, 4], [5]]));
        Assert.Throws<ArgumentException>(() => BlindingTable.FromCounts(["A", "B"], [[1, 2], [3, -4], [5, 6]]));
        var table = BlindingTable.FromCounts(["A", "B"], [[1, 2], [3, 4], [5, 6]]);
        Assert.Throws<ArgumentException>(() => table.N("C"));
    }

    [Fact]
    public void Protocol_guesses_naming_one_arm_each_give_the_arm_by_arm_table()
    {
        BlindingGuess[] guesses =
        [
            new("active", "Active", ["ACT"]),
            new("placebo", "Placebo", ["PBO"]),
            new("dont_know", "Don't know", []),
        ];

        var table = BlindingTable.FromProtocolGuesses(
            guesses,
            [("ACT", "active"), ("ACT", "placebo"), ("ACT", "dont_know"), ("PBO", "placebo"), ("PBO", "placebo")]);

        Assert.Equal(["active", "placebo"], table.Arms);
        Assert.Equal((3, 1, 1, 1), (table.N("active"), table.Correct("active"), table.Incorrect("active"), table.DontKnow("active")));
        Assert.Equal((2, 2, 0, 0), (table.N("placebo"), table.Correct("placebo"), table.Incorrect("placebo"), table.DontKnow("placebo")));
    }

    [Fact]
    public void Arms_one_guess_cannot_tell_apart_are_pooled_and_every_empty_guess_is_dont_know()
    {
        BlindingGuess[] guesses =
        [
            new("active", "Active (either dose)", ["LOW", "HIGH"]),
            new("placebo", "Placebo", ["PBO"]),
            new("dont_know", "Don't know", []),
            new("refused", "Prefer not to say", []),
        ];

        var table = BlindingTable.FromProtocolGuesses(
            guesses,
            [("LOW", "active"), ("HIGH", "active"), ("HIGH", "placebo"), ("PBO", "refused"), ("PBO", "dont_know"), ("PBO", "active")]);

        Assert.Equal(["active", "placebo"], table.Arms);
        Assert.Equal((3, 2, 1, 0), (table.N("active"), table.Correct("active"), table.Incorrect("active"), table.DontKnow("active")));
        Assert.Equal((3, 0, 1, 2), (table.N("placebo"), table.Correct("placebo"), table.Incorrect("placebo"), table.DontKnow("placebo")));
    }

    [Fact]
    public void Protocol_guesses_that_cannot_be_scored_are_refused()
    {
        BlindingGuess[] oneGroup = [new("active", "Active", ["A", "B"]), new("dk", "Don't know", [])];
        BlindingGuess[] twoGroups = [new("a", "A", ["A"]), new("b", "B", ["B"]), new("dk", "Don't know", [])];

        Assert.Throws<ArgumentException>(() => BlindingTable.FromProtocolGuesses(oneGroup, []));
        Assert.Throws<ArgumentException>(() => BlindingTable.FromProtocolGuesses(twoGroups, [("C", "a")]));
        Assert.Throws<ArgumentException>(() => BlindingTable.FromProtocolGuesses(twoGroups, [("A", "c")]));
        Assert.Throws<ArgumentException>(() => BlindingTable.FromProtocolGuesses([new("a", "A", ["A"]), new("b", "B", ["A", "B"])], []));
    }

    [Fact]
    public void Correct_guess_rates_are_among_all_answers_and_among_guesses()
    {
        // ACT: 6 correct, 2 incorrect, 2 don't know. PBO: 4 correct, 3 incorrect, 3 don't know.
        var table = BlindingTable.FromCounts(["ACT", "PBO"], [[6, 3], [2, 4], [2, 3]]);

        var act = GuessRates.For(table, "ACT");
        Assert.Equal(6.0 / 10, act.AmongAnswers);
        Assert.Equal(6.0 / 8, act.AmongGuesses);
        var overall = GuessRates.Overall(table);
        Assert.Equal(10.0 / 20, overall.AmongAnswers);
        Assert.Equal(10.0 / 15, overall.AmongGuesses);

        var allDontKnow = BlindingTable.FromCounts(["ACT", "PBO"], [[0, 0], [0, 0], [4, 0]]);
        Assert.Equal(0.0, GuessRates.For(allDontKnow, "ACT").AmongAnswers);
        Assert.Null(GuessRates.For(allDontKnow, "ACT").AmongGuesses);
        Assert.Null(GuessRates.For(allDontKnow, "PBO").AmongAnswers);
        Assert.Null(GuessRates.For(allDontKnow, "PBO").AmongGuesses);
    }
}
