using TrialManager.Domain.Randomization;

namespace TrialManager.Domain.Tests.Randomization;

public class ListGeneratorTests
{
    private static readonly StratumKey London = StratumKey.Parse("LON|sex=female");
    private static readonly StratumKey Boston = StratumKey.Parse("BOS|sex=female");

    private static RandomizationDesign Small(int[] blockSizes, int slots, params StratumKey[] strata) =>
        new([new ArmRatio("A", 1), new ArmRatio("B", 1)], blockSizes, slots, strata.Length == 0 ? [London, Boston] : strata);

    [Theory]
    [InlineData("psilocybin")]
    [InlineData("lsd")]
    public void The_same_seed_gives_the_same_list(string name)
    {
        var design = RandomizationFixtures.Design(name);
        var seed = RandomizationFixtures.Seed(42);

        var first = ListGenerator.Generate(design, seed);
        var second = ListGenerator.Generate(RandomizationFixtures.Design(name), (byte[])seed.Clone());

        Assert.Equal(first, second);
        Assert.Equal(ListCommitment.Serialize(first), ListCommitment.Serialize(second));
        Assert.Equal(design.Strata, first.Strata.Select(s => s.Stratum));
        Assert.All(first.Strata, s => Assert.Equal(Enumerable.Range(1, design.SlotsPerStratum), s.Slots.Select(x => x.Number)));
    }

    [Theory]
    [InlineData("psilocybin")]
    [InlineData("lsd")]
    public void Every_one_of_ten_thousand_seeds_gives_a_different_list(string name)
    {
        var lists = RandomizationFixtures.ManyLists(name);

        Assert.Equal(lists.Count, lists.Select(l => Convert.ToHexString(ListCommitment.Serialize(l))).Distinct().Count());
        Assert.NotEqual(ListGenerator.Generate(RandomizationFixtures.Design(name), RandomizationFixtures.Seed(1)), lists[0]);
    }

    [Fact]
    public void A_one_bit_change_of_the_seed_changes_the_list()
    {
        var design = RandomizationFixtures.Design("psilocybin");
        var seed = RandomizationFixtures.Seed(7);
        var flipped = (byte[])seed.Clone();
        flipped[0] ^= 1;

        Assert.NotEqual(ListGenerator.Generate(design, seed), ListGenerator.Generate(design, flipped));
    }

    [Fact]
    public void A_stratum_list_depends_only_on_the_seed_and_its_key_not_on_other_strata_or_their_order()
    {
        var seed = RandomizationFixtures.Seed(3);
        var both = ListGenerator.Generate(Small([2, 4, 6], 30, London, Boston), seed);
        var reversed = ListGenerator.Generate(Small([2, 4, 6], 30, Boston, London), seed);
        var alone = ListGenerator.Generate(Small([2, 4, 6], 30, Boston), seed);

        Assert.Equal(both[Boston], alone[Boston]);
        Assert.Equal(both[Boston], reversed[Boston]);
        Assert.Equal(both[London], reversed[London]);
        Assert.Equal(both[Boston], ListGenerator.GenerateStratum(Small([2, 4, 6], 30), Boston, seed));
        Assert.NotEqual(both[London].Slots, both[Boston].Slots);
    }

    [Fact]
    public void Block_sizes_are_used_in_ascending_order_whatever_order_they_are_given_in()
    {
        var seed = RandomizationFixtures.Seed(5);

        Assert.Equal(ListGenerator.Generate(Small([2, 4, 6], 30), seed), ListGenerator.Generate(Small([6, 2, 4], 30), seed));
    }

    [Fact]
    public void Blocks_are_balanced_numbered_and_record_their_size()
    {
        var design = RandomizationFixtures.Design("lsd");
        var list = ListGenerator.Generate(design, RandomizationFixtures.Seed(11));

        foreach (var stratum in list.Strata)
        {
            var blocks = stratum.Slots.GroupBy(s => s.BlockNumber).ToList();
            Assert.Equal(Enumerable.Range(1, blocks.Count), blocks.Select(b => b.Key));
            foreach (var block in blocks.SkipLast(1))
            {
                var size = Assert.Single(block.Select(s => s.BlockSize).Distinct());
                Assert.Equal(size, block.Count());
                Assert.Equal(2 * size / 3, block.Count(s => s.ArmCode == "LSD"));
                Assert.Equal(size / 3, block.Count(s => s.ArmCode == "PBO"));
            }
        }
    }

    [Fact]
    public void The_last_block_is_cut_at_the_slots_per_stratum_and_keeps_its_drawn_size()
    {
        // Blocks of 4, 7 slots: one full block and the first 3 places of a second block of 4.
        var design = Small([4], 7, London);
        var arms = new List<string>();
        for (var i = 0; i < 4000; i++)
        {
            var slots = ListGenerator.Generate(design, RandomizationFixtures.Seed(i, "cut"))[London].Slots;
            Assert.Equal(7, slots.Count);
            Assert.Equal([1, 1, 1, 1, 2, 2, 2], slots.Select(s => s.BlockNumber));
            Assert.All(slots, s => Assert.Equal(4, s.BlockSize));
            var cut = slots.Skip(4).Select(s => s.ArmCode).ToList();
            Assert.InRange(cut.Count(a => a == "A"), 1, 2);
            arms.AddRange(cut);
        }

        // The kept places are a uniform prefix of a balanced block: each arm still has probability 1/2 in each place.
        var p = RandomizationFixtures.ChiSquarePValue(RandomizationFixtures.ChiSquare([arms.Count(a => a == "A"), arms.Count(a => a == "B")], [0.5, 0.5]), 1);
        Assert.True(p > 0.001, $"p = {p}");
    }

    [Fact]
    public void A_cut_never_drops_a_whole_stratum_below_its_slots_even_with_one_slot()
    {
        var list = ListGenerator.Generate(Small([6], 1, London), RandomizationFixtures.Seed(0));

        var slot = Assert.Single(list[London].Slots);
        Assert.Equal(new ListSlot(1, slot.ArmCode, 1, 6), slot);
    }

    [Fact]
    public void Design_validation_refuses_blocks_that_cannot_hold_the_ratio()
    {
        var arms = new[] { new ArmRatio("LSD", 2), new ArmRatio("PBO", 1) };

        Assert.Throws<ArgumentException>(() => new RandomizationDesign(arms, [4], 12, [London]));
        Assert.Throws<ArgumentException>(() => new RandomizationDesign(arms, [], 12, [London]));
        Assert.Throws<ArgumentException>(() => new RandomizationDesign(arms, [3, 3], 12, [London]));
        Assert.Throws<ArgumentException>(() => new RandomizationDesign(arms, [3], 12, [London, London]));
        Assert.Throws<ArgumentException>(() => new RandomizationDesign([new ArmRatio("A", 1)], [1], 12, [London]));
        Assert.Throws<ArgumentException>(() => new RandomizationDesign([new ArmRatio("A", 1), new ArmRatio("A", 1)], [2], 12, [London]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomizationDesign(arms, [3], 0, [London]));
    }

    [Fact]
    public void FromProtocol_takes_arms_blocks_slots_and_strata_from_the_protocol()
    {
        var design = RandomizationFixtures.Design("lsd");

        Assert.Equal([new ArmRatio("LSD", 2), new ArmRatio("PBO", 1)], design.Arms);
        Assert.Equal([3, 6], design.BlockSizes);
        Assert.Equal(48, design.SlotsPerStratum);
        Assert.Equal(4, design.Strata.Count);
        Assert.Equal("2:1", design.RatioText);
        Assert.Equal(4, design.CountInBlock(design.Arms[0], 6));
    }
}
